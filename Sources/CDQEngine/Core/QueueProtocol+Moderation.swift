/// Event moderation (`TriggerPolicy.moderated`): count and time bounds
/// together, as NVMe interrupt coalescing, NAPI and `net_dim` do, so that
/// an event marks a burst and a head update buys something.
///
/// A moderated queue is in one of two states:
///
/// - **Idle**: the trigger is armed on the next entry, so the first change
///   after a quiet spell wakes the engine at once (while events are
///   frequent, the loop takes them in batches: EngineLoop). No timer.
/// - **Active** (entries were found, unless the queue is sparse,
///   `isSparse`): the queue is scanned on a deadline,
///   at the next multiple of `scanInterval` after its last deadline scan,
///   whatever the events do, so every entry reaches the consumer within
///   the delivery budget. The multiples are the same for every queue, so
///   one loop turn serves every active queue at once: about a thousand
///   turns a second at the default budget, however many queues are
///   active. The trigger is a safety net placed far ahead
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

    /// Time between deadline scans (and the grid they fall on): the budget
    /// less an eighth, which is left for the loop's own lateness and the
    /// hand-off to the consumer.
    package var scanInterval: UInt64 { Self.scanInterval(budget: configuration.deliveryBudgetNanoseconds) }

    package static func scanInterval(budget: UInt64) -> UInt64 { budget - budget / 8 }

    /// The first multiple of the scan interval after `now`: at most one
    /// interval away, and the same for every queue of an engine (one tick
    /// serves them all, `DeadlineList`).
    package static func deadline(after now: UInt64, budget: UInt64) -> UInt64 {
        let interval = scanInterval(budget: budget)
        return (now / interval &+ 1) &* interval
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

    /// When the next deadline scan is due (the caller's one timer,
    /// `DeadlineList`, ticks at these); nil when none is (idle, polled,
    /// lost, removed).
    package var scanDeadline: UInt64? {
        guard moderationActive, isActive, !polling else { return nil }
        return plantedBug == .lateDeadline ? nextDeadlineScan &+ 3 &* scanInterval : nextDeadlineScan
    }

    /// The controller's tail pointer event arrived: its trigger fired and
    /// disarmed itself (cdq-protocol.md §3), so a head update must arm it
    /// again before the next one can come.
    package mutating func handleTailPointerEvent() {
        triggerArmed = false
    }

    /// What a deadline tick asks of the caller for one listed queue.
    package enum DeadlineTick: Sendable, Equatable {
        /// The queue is no longer active (idle, polled, lost, removed): unlist it.
        case idle
        /// Its deadline is later.
        case notDue
        /// Nothing new: the tick was its deadline scan (keep it listed).
        case handled
        /// Scan it (entries, or a head update is due).
        case scan
    }

    /// The deadline tick at `now`. Most active queues have nothing new at
    /// most ticks, so the question is asked with one load
    /// (`hasNewEntry(readIndex, expectedPhase)`, the caller's look at the
    /// slot's phase tag) instead of a scan; then the tick counts as an
    /// empty deadline scan here. It is not a scan for the watchdog
    /// (`lastScan` stays), so the watchdog's own full scan, with its
    /// look-ahead for a tail that jumped, still comes every interval.
    /// `scanPending`: an event or an earlier decision already scheduled
    /// the queue.
    package mutating func handleDeadlineTick(
        now: UInt64, scanPending: Bool, hasNewEntry: (_ readIndex: UInt32, _ phase: Bool) -> Bool
    ) -> DeadlineTick {
        guard let deadline = scanDeadline else { return .idle }
        guard deadline <= now else { return .notDue }
        if scanPending || stalled || needsHeadUpdate || hasNewEntry(readIndex, expectedPhase) { return .scan }
        moderate(drained: 0, now: now)
        // Going idle makes a head update due: the scan sends it.
        return needsHeadUpdate ? .scan : .handled
    }

    /// The moderation part of `handleScanned`: a scan that found entries
    /// makes an idle queue active; a scan at or past the deadline counts
    /// toward the rate and toward going idle.
    mutating func moderate(drained: Int, now: UInt64) {
        guard moderated, !polling else { return }
        guard moderationActive else {
            guard drained > 0 else { return }
            let sparse = isSparse(now: now)
            lastEntriesFound = now
            if !sparse { beginModeration(now: now) }
            return
        }
        if drained > 0 { lastEntriesFound = now }
        drainedSinceDeadline &+= UInt32(clamping: drained)
        guard now >= nextDeadlineScan else { return }
        entriesPerInterval = (entriesPerInterval &* 3 &+ drainedSinceDeadline &+ 3) / 4
        emptyDeadlineScans = drainedSinceDeadline == 0 ? emptyDeadlineScans + 1 : 0
        drainedSinceDeadline = 0
        lastDeadlineScan = now
        nextDeadlineScan = Self.deadline(after: now, budget: configuration.deliveryBudgetNanoseconds)
        if emptyDeadlineScans >= Self.quietDeadlineScans { endModeration() }
    }

    /// How long an active queue stays active without entries: its quiet
    /// deadline scans.
    package var quietSpan: UInt64 { UInt64(Self.quietDeadlineScans) &* scanInterval }

    /// Entries found by an idle queue's scan, longer than `quietSpan` after
    /// the last entries it found: its changes come further apart than it
    /// would stay active, so the active spell would only cost its quiet
    /// deadline scans and a second head update (re-arm the safety trigger
    /// now, hand back when idle again). Such a queue stays idle: one head
    /// update hands everything back and arms the next-entry trigger. Many
    /// sparse queues (`cdq-bench scale` at 4096 queues) so cost one head
    /// update per change, not two. A queue's first entries are not sparse:
    /// nothing is known of it yet. The idle state is the one with the
    /// most room for a burst.
    func isSparse(now: UInt64) -> Bool {
        lastEntriesFound != 0 && now &- lastEntriesFound > quietSpan
    }

    private mutating func beginModeration(now: UInt64) {
        moderationActive = true
        lastDeadlineScan = now
        nextDeadlineScan = Self.deadline(after: now, budget: configuration.deliveryBudgetNanoseconds)
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
