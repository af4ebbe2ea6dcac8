import CCDQ
import CDQNVMe
import CDQUring

/// The controller's side of one user data migration queue: where the next
/// entry goes (tail), what the host has consumed (head), the phase tag of
/// the current lap, and the tail pointer trigger (cdq-protocol.md §3).
///
/// A plain value guarded by its migratable controller's lock: writes from
/// guest threads and admin commands from the controller thread both change
/// it, always under that lock.
struct QueueProducer: @unchecked Sendable {
    // @unchecked: `memory` is host memory handed over at create, written only
    // under the owning controller's lock; the host reads it, never writes it, until delete.
    let cdqid: UInt16
    /// Host memory supplied at create: `entryCount` entries of 32 bytes.
    let memory: UnsafeMutableRawPointer
    let entryCount: UInt32
    /// The eventfd the tail pointer trigger signals; a reference, so a
    /// signal in flight never hits a descriptor number reused after delete.
    let eventFD: EventFD?

    /// Index of the slot the next entry goes to.
    private(set) var tail: UInt32 = 0
    /// Index of the oldest entry the host has not consumed.
    private(set) var head: UInt32 = 0
    /// Phase written on the current lap: 1 on the first, inverted on each wrap.
    private(set) var phase = true
    /// Logging of user data changes is on (Track Send start).
    var logging = false
    /// The queue filled (ESA 7 posted); nothing is logged until the head moves.
    private(set) var full = false
    /// Tail pointer trigger: one-shot, armed by Set Features with ETPT = 1.
    private(set) var triggerArmed = false
    private(set) var triggerIndex: UInt32 = 0

    /// TPT as Get Features FID 0x21 reports it: the armed index, or
    /// `CDQFeatureData.triggerDisarmed` once ETPT = 0 or the trigger fired
    /// (protocol-choices.md): the host can tell that no wake-up will come.
    var reportedTrigger: UInt32 { triggerArmed ? triggerIndex : CDQFeatureData.triggerDisarmed }

    init(cdqid: UInt16, memory: UnsafeMutableRawPointer, entryCount: UInt32, eventFD: EventFD?) {
        precondition(entryCount >= 2, "a CDQ needs at least two entries")
        self.cdqid = cdqid
        self.memory = memory
        self.entryCount = entryCount
        self.eventFD = eventFD
    }

    /// What a post did that the caller must act on outside the lock.
    struct PostResult {
        var posted = false
        /// The entry was replaced by the ESA 7 entry that filled the
        /// queue: what it carried is lost, as if it had not been posted.
        var replaced = false
        /// The tail reached the armed trigger, or the queue filled: signal `eventFD`.
        var signal = false
    }

    /// Posts one entry the way DMA makes it visible: bytes 0-30 first, then
    /// the attributes byte with the phase tag, with release ordering.
    ///
    /// If this entry is the one that fills the queue (`entries - 1`
    /// outstanding), it is replaced by a LAST entry with ESA 7 and logging
    /// pauses until the head moves: the change it would have carried is
    /// lost, which ESA 7 tells the host (§3). A full queue posts nothing.
    mutating func post(_ entry: MigrationQueueEntry) -> PostResult {
        var result = PostResult()
        guard !full else { return result }
        let next = (tail + 1) % entryCount
        let fills = (next + 1) % entryCount == head
        var record = fills ? MigrationQueueEntry.marker(.lastQueueFull, phaseTag: phase) : entry
        record.attributes = (record.attributes & ~1) | (phase ? 1 : 0)
        let slot = memory + Int(tail) * MigrationQueueEntry.size
        record.write(to: slot, includingPhase: false)
        cdq_store_release_u8(
            (slot + MigrationQueueEntry.attributesOffset).assumingMemoryBound(to: UInt8.self), record.attributes)
        result.posted = true
        result.replaced = fills
        if next < tail { phase.toggle() }
        tail = next
        if fills {
            full = true
            result.signal = true
        }
        if triggerArmed && tail == triggerIndex {
            triggerArmed = false
            result.signal = true
        }
        return result
    }

    /// A hostile controller's tail jump: the tail moves past one slot
    /// without writing it (its phase stays old). Refused (false) when the
    /// queue has no room for it, so the skip never overruns the head.
    mutating func skipSlot() -> Bool {
        let next = (tail + 1) % entryCount
        guard !full, (next + 1) % entryCount != head else { return false }
        if next < tail { phase.toggle() }
        tail = next
        return true
    }

    /// Set Features FID 0x21: moves the head and sets or clears the trigger.
    ///
    /// The new head must lie between the current head and the tail (the
    /// host can only consume what was posted), else Invalid Field.
    mutating func update(head newHead: UInt32, trigger: UInt32?) -> NVMeStatus {
        guard newHead < entryCount else { return .invalidFieldInCommand }
        let outstanding = (tail &+ entryCount &- head) % entryCount
        let advance = (newHead &+ entryCount &- head) % entryCount
        guard advance <= outstanding else { return .invalidFieldInCommand }
        if let trigger, trigger >= entryCount { return .invalidFieldInCommand }
        if advance > 0 { full = false }
        head = newHead
        if let trigger {
            triggerArmed = true
            triggerIndex = trigger
        } else {
            triggerArmed = false
        }
        return .success
    }
}
