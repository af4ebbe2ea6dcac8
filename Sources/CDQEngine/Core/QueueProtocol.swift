/// The consumer side of one CDQ (cdq-protocol.md §4) as a pure,
/// synchronous state machine: events in, actions out, time an input.
///
/// No io_uring, no threads, no clock, no memory of its own: the caller (the
/// engine's loop in production, `CDQSim` in the deterministic simulator)
/// owns all of that, tells the core what happened (`handle*`), asks it what
/// to do (`next*`), and carries the answer out. Every ordering rule of a
/// queue lives here, so one reading of this directory is a reading of the
/// protocol the engine keeps, and the simulator drives the very code
/// production runs:
///
/// - what to drain, and how much (`drainBudget`);
/// - when to send a head update, with which head and trigger, one in flight
///   and newer heads coalesced (`nextHeadUpdate`);
/// - arm, then rescan (`handleHeadUpdateCompleted`);
/// - polling versus events (`handleScanned`);
/// - moderation: deadline scans, trigger placement, head updates only when
///   they buy something (`scanDeadline`, `handleTailPointerEvent`);
/// - backpressure (`handleScanned`, `handleConsumerSpace`);
/// - retries after admin errors, and the watchdog, the liveness probe and
///   the admin timeout (`handleTick`);
/// - losing the queue (`handleLoss`, `nextLossRecord`).
///
/// Entries themselves (phase tags, checks, overflow records) are copied by
/// `PhaseTagDrain` into the consumer's ring; the core only advances by
/// what it copied. A value type with no references: allocation free.
package struct QueueProtocol: Sendable {
    let entryCount: UInt32
    let configuration: QueueSettings
    /// A rule broken on purpose; only `CDQSim` sets one (`PlantedBug`).
    package let plantedBug: PlantedBug?

    /// Next slot to read, and the phase that marks a new entry there.
    package var readIndex: UInt32
    package var expectedPhase: Bool
    /// Head the controller has acknowledged, and the one last sent.
    package internal(set) var acknowledgedHead: UInt32
    package internal(set) var sentHead: UInt32
    /// The trigger is armed on the controller (as far as the core knows).
    package internal(set) var triggerArmed = false
    package internal(set) var updateInFlight = false
    /// A failed head update waits for the watchdog before it is tried again.
    package internal(set) var waitingForWatchdog = false
    package internal(set) var retries = 0

    /// Draining stopped on a full consumer ring; the consumer's space ends it.
    package internal(set) var stalled = false
    /// When the queue was last scanned.
    package internal(set) var lastScan: UInt64 = 0

    /// Adaptive polling state.
    package internal(set) var polling = false
    var busyScans = 0
    var emptyPolls = 0

    /// Moderation state (`QueueProtocol+Moderation.swift`): the queue is
    /// active (scanned on deadlines), when its last deadline scan was and
    /// when the next is due, entries since then, the rate estimate, and
    /// empty deadline scans in a row.
    package internal(set) var moderationActive = false
    package internal(set) var lastDeadlineScan: UInt64 = 0
    var nextDeadlineScan: UInt64 = 0
    var drainedSinceDeadline: UInt32 = 0
    package internal(set) var entriesPerInterval: UInt32 = 0
    var emptyDeadlineScans = 0
    /// When a scan last found entries (0: never); an idle queue whose
    /// entries come further apart than it would stay active stays idle.
    var lastEntriesFound: UInt64 = 0

    /// When the head update in flight (or the last one) was sent.
    package internal(set) var sentAt: UInt64 = 0
    /// The queue is lost: never read or updated again.
    package internal(set) var loss: QueueLoss?
    /// The `.queueLost` record is in the consumer's ring.
    package internal(set) var lossDelivered = false
    /// Entries a lost queue may still be read for before its `.queueLost`
    /// record: what the controller posted before it lost the queue (a
    /// LAST before a DUDMQ delete, changes before a reset) is real and is
    /// delivered first. At most one lap, so a controller that keeps
    /// writing cannot hold the record back.
    package internal(set) var entriesLeftAfterLoss = 0
    /// Unregistering was asked for; nothing new is started.
    package internal(set) var removing = false

    /// A queue whose controller's head is `head` and whose next new entry
    /// carries `phase`.
    package init(entryCount: UInt32, head: UInt32, phase: Bool, configuration: EngineConfiguration,
                 plantedBug: PlantedBug? = nil) {
        self.entryCount = entryCount
        self.configuration = QueueSettings(configuration)
        self.plantedBug = plantedBug
        readIndex = head
        expectedPhase = phase
        acknowledgedHead = head
        sentHead = head
    }

    /// True while the queue may be read: not lost, not being removed.
    package var isActive: Bool { loss == nil && !removing }
}
