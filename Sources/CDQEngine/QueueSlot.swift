import CDQUring

/// The loop thread's state for one registered queue (the consumer side of
/// the CDQ, cdq-protocol.md §4). Touched only by the loop thread, except
/// `counters`. The shell's side: where the queue lives and how it
/// signals; every protocol decision is `core`'s. The loop state is
/// `@exclusivity(unchecked)`, for the reason and under the rule given at
/// `EngineLoop`.
final class QueueSlot {
    let index: Int
    let generation: UInt16
    let memory: UnsafeMutableRawPointer
    let entryCount: UInt32
    let cdqid: UInt16
    let eventFD: EventFD
    let transport: any AdminTransport
    let consumer: Consumer
    let consumerIndex: Int
    let counters: QueueCounters
    /// The per-entry rule, built from the registration's scope.
    let check: EntryCheck

    /// The queue's protocol state and rules (cdq-protocol.md §4).
    @exclusivity(unchecked) var core: QueueProtocol

    /// On the ready list already.
    @exclusivity(unchecked) var scheduled = false
    /// On the deadline list already (moderation).
    @exclusivity(unchecked) var deadlineListed = false
    /// Deadline scans not yet added to `counters`: a tick visits every
    /// active queue, and an atomic add per queue per tick (a pointer chase
    /// to a counter object, mostly a cache miss) cost more than the
    /// deadline scan itself. Published at each watchdog tick and on removal.
    @exclusivity(unchecked) var deadlineScansUnpublished: UInt64 = 0
    @exclusivity(unchecked) var pollArmed = false
    /// The turn in which a read of the eventfd counter was last queued.
    @exclusivity(unchecked) var counterReadTurn: UInt64 = .max
    /// When the wake-up not yet followed by a delivery arrived (0: none).
    @exclusivity(unchecked) var wokenAt: UInt64 = 0

    /// Set when unregister was asked for; the slot is freed once nothing is in flight.
    var removal: RemovalRequest?

    init(index: Int, generation: UInt16, registration: QueueRegistration, consumerIndex: Int, counters: QueueCounters,
         configuration: EngineConfiguration) {
        self.counters = counters
        check = EntryCheck(scope: registration.scope)
        self.index = index
        self.generation = generation
        memory = registration.memory
        entryCount = registration.entryCount
        cdqid = registration.cdqid
        eventFD = registration.eventFD
        transport = registration.transport
        consumer = registration.consumer
        self.consumerIndex = consumerIndex
        core = QueueProtocol(entryCount: registration.entryCount, head: registration.head, phase: registration.phase,
                             configuration: configuration)
    }
}

extension QueueSlot {
    func publishDeadlineScans() {
        guard deadlineScansUnpublished > 0 else { return }
        counters.deadlineScans.add(deadlineScansUnpublished)
        deadlineScansUnpublished = 0
    }
}
