import CDQUring

/// The loop thread's state for one registered queue (the consumer side of
/// the CDQ, cdq-protocol.md §4). Touched only by the loop thread, except
/// `counters`.
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

    /// Next slot to read, and the phase that marks a new entry there.
    var readIndex: UInt32
    var expectedPhase: Bool
    /// Head the controller has acknowledged, and the one last sent.
    var acknowledgedHead: UInt32
    var sentHead: UInt32
    /// The trigger is armed on the controller (as far as the engine knows).
    var triggerArmed = false
    var updateInFlight = false
    /// A failed head update waits for the watchdog before it is tried again.
    var waitingForWatchdog = false
    var retries = 0

    /// On the ready list already.
    var scheduled = false
    /// Draining stopped on a full consumer ring.
    var stalled = false
    var pollArmed = false
    /// The turn in which a read of the eventfd counter was last queued.
    var counterReadTurn: UInt64 = .max
    var lastScan: UInt64 = 0
    /// When the wake-up not yet followed by a delivery arrived (0: none).
    var wokenAt: UInt64 = 0

    /// Adaptive polling state.
    var polling = false
    var busyScans = 0
    var emptyPolls = 0

    /// When the head update in flight was sent (for the admin timeout).
    var sentAt: UInt64 = 0
    /// The queue is lost: never read or updated again (`EngineLoop.lose`).
    var loss: QueueLoss?
    /// The `.queueLost` record is in the consumer's ring.
    var lossDelivered = false

    /// Set when unregister was asked for; the slot is freed once nothing is in flight.
    var removal: RemovalRequest?

    init(index: Int, generation: UInt16, registration: QueueRegistration, consumerIndex: Int, counters: QueueCounters) {
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
        readIndex = registration.head
        expectedPhase = registration.phase
        acknowledgedHead = registration.head
        sentHead = registration.head
    }

    /// A head update is due: entries were consumed since the last one, or
    /// the trigger must be (re-)armed because the queue waits for events.
    var needsHeadUpdate: Bool {
        !waitingForWatchdog && (readIndex != sentHead || (!polling && !triggerArmed))
    }
}
