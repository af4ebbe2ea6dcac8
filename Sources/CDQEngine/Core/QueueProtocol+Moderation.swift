/// Event moderation (`TriggerPolicy.moderated`): count and time bounds
/// together, as NVMe interrupt coalescing, NAPI and `net_dim` do, so that
/// an event marks a burst and a head update buys something.
///
/// A moderated queue is in one of two states:
///
/// - **Idle**: the trigger is armed on the next entry, so the first change
///   after a quiet spell wakes the engine at once. No timer.
/// - **Active** (entries were found): the queue is scanned on a deadline,
///   at most `scanInterval` after its last deadline scan, whatever the
///   events do, so every entry reaches the consumer within the delivery
///   budget. The trigger is a safety net placed far ahead
///   (`safetyTriggerDistance`): it fires only for a burst that would fill
///   the queue before the next deadline. Head updates go out only when
///   the consumed entries not yet handed back reach `returnThreshold`, or
///   when the trigger must be re-armed after it fired.
///
/// After `quietDeadlineScans` empty deadline scans in a row the queue goes
/// back to idle: one head update hands back every consumed entry and arms
/// the trigger on the next entry (then the usual rescan).
///
/// Bounds (docs/engine.md, "Moderation"): an entry posted while the queue
/// is active reaches the consumer within the budget (the deadline); one
/// posted while it is idle wakes the engine by its event (the watchdog,
/// should that event be lost). The controller never holds more than
/// `returnThreshold` consumed entries plus those consumed while a head
/// update is in flight, and a burst of up to capacity − 1 entries that
/// starts once the queue went idle finds the whole queue free.
extension QueueProtocol {
    /// Empty deadline scans in a row after which an active queue goes idle.
    package static let quietDeadlineScans = 8

    /// Whether the queue follows the moderated policy.
    package var moderated: Bool { configuration.trigger == .moderated }

    /// Time between deadline scans: the budget less an eighth, which is
    /// left for the loop's own lateness and the hand-off to the consumer.
    package var scanInterval: UInt64 {
        let budget = configuration.deliveryBudgetNanoseconds
        return budget - budget / 8
    }

    /// Consumed entries the controller may keep before a head update hands
    /// them back: a quarter of the queue, so that at least three quarters
    /// stay free for entries the engine has not yet seen.
    package var returnThreshold: UInt32 { max(1, (entryCount - 1) / 4) }

    /// Consumed entries not yet handed back to the controller.
    package var unreturned: UInt32 { (readIndex &+ entryCount &- sentHead) % entryCount }

    /// How far ahead of the head an active queue's trigger goes: half the
    /// queue, less twice the entries the queue saw per deadline interval,
    /// so the event still leaves room for what arrives while the engine
    /// reacts; at least the next entry. A quiet queue gets its event when
    /// half full, a busy one earlier.
    var safetyTriggerDistance: UInt32 {
        let room = entryCount - 1
        let reaction = min(room, 2 &* entriesPerInterval)
        return max(1, min(room / 2, room - reaction))
    }

    /// When the next deadline scan is due (the caller's one timer keeps
    /// these in order); nil when none is (idle, polled, lost, removed).
    package var scanDeadline: UInt64? {
        guard moderationActive, isActive, !polling else { return nil }
        return lastDeadlineScan &+ (plantedBug == .lateDeadline ? 4 &* scanInterval : scanInterval)
    }

    /// The controller's tail pointer event arrived: its trigger fired and
    /// disarmed itself (cdq-protocol.md §3), so a head update must arm it
    /// again before the next one can come.
    package mutating func handleTailPointerEvent() {
        triggerArmed = false
    }

    /// The moderation part of `handleScanned`: a scan that found entries
    /// makes an idle queue active; a scan at or past the deadline counts
    /// toward the rate and toward going idle.
    mutating func moderate(drained: Int, now: UInt64) {
        guard moderated, !polling else { return }
        guard moderationActive else {
            if drained > 0 { beginModeration(now: now) }
            return
        }
        drainedSinceDeadline &+= UInt32(clamping: drained)
        guard now &- lastDeadlineScan >= scanInterval else { return }
        entriesPerInterval = (entriesPerInterval &* 3 &+ drainedSinceDeadline &+ 3) / 4
        emptyDeadlineScans = drainedSinceDeadline == 0 ? emptyDeadlineScans + 1 : 0
        drainedSinceDeadline = 0
        lastDeadlineScan = now
        if emptyDeadlineScans >= Self.quietDeadlineScans { endModeration() }
    }

    private mutating func beginModeration(now: UInt64) {
        moderationActive = true
        lastDeadlineScan = now
        drainedSinceDeadline = 0
        emptyDeadlineScans = 0
    }

    /// Back to idle: the next head update hands everything back and arms
    /// the trigger on the next entry.
    mutating func endModeration() {
        moderationActive = false
        triggerArmed = false
        entriesPerInterval = 0
    }

    /// A head update is due for a moderated queue: it re-arms a trigger
    /// that fired, or hands back what reached the threshold, or (idle)
    /// hands back the rest.
    var moderatedHeadUpdateDue: Bool {
        if !triggerArmed { return true }
        guard moderationActive else { return readIndex != sentHead }
        return plantedBug != .headHeldBack && unreturned >= returnThreshold
    }

    /// The trigger a moderated queue's head update arms.
    func moderatedTrigger(head: UInt32) -> UInt32 {
        let distance = moderationActive ? safetyTriggerDistance : 1
        return (head + distance) % entryCount
    }
}
