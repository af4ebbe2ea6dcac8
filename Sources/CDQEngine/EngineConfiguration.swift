import Logging
import CoreMetrics

/// How an engine runs. Every bound is fixed at creation: overload is a
/// decision (backpressure, a stall counted in statistics), never growth.
public struct EngineConfiguration: Sendable {
    /// Most queues the engine can hold at once; slots are allocated up front.
    public var maximumQueues: Int
    /// Submission queue entries of the loop's io_uring.
    public var ringEntries: UInt32
    /// Most entries drained from one queue per scan, so one busy queue
    /// cannot starve the others in a loop turn.
    public var drainBatch: Int
    /// The safety net: queues not scanned for this long are scanned anyway,
    /// so a lost or masked event costs latency, never entries (§6).
    public var watchdogIntervalNanoseconds: UInt64
    /// Where the tail pointer trigger is armed after each head update.
    /// `.moderated` (the default) also scans active queues on deadlines
    /// and sends head updates only when they buy something.
    public var trigger: TriggerPolicy
    /// Under `.moderated`: every entry posted while its queue is active
    /// reaches the consumer within this time (docs/engine.md, "Moderation").
    /// Within `deliveryBudgetRange`.
    public var deliveryBudgetNanoseconds: UInt64 = 1_000_000
    /// The budgets an engine accepts: 100 µs to 1 s. The one place the
    /// bound is written, for `Engine`, the C API and the tools.
    public static let deliveryBudgetRange: ClosedRange<UInt64> = 100_000...1_000_000_000
    /// How often a failed head update is retried before it waits for the watchdog.
    public var headUpdateRetries: Int
    /// When a busy queue is polled instead of waiting for events; nil: never.
    public var polling: PollingPolicy?
    /// A head update not completed after this long is cancelled and its
    /// queue lost (`QueueLoss.adminTimeout`); `AttachedQueue` gives its
    /// admin commands the same time. Checked at watchdog ticks.
    public var adminTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// A queue that sent no head update for this long gets one anyway (the
    /// same head, the trigger re-armed): one admin command per idle
    /// interval, so a queue the controller deleted or forgot in a reset is
    /// found lost even when nothing is logged any more.
    public var livenessProbeNanoseconds: UInt64 = 1_000_000_000
    /// Where the engine's events go (swift-log): queues attached and
    /// detached, overflow, refused head updates, problem entries, lost
    /// queues. nil: `Logger(label: "cdq.engine")`, so the backend is
    /// whatever `LoggingSystem.bootstrap` chose.
    public var logger: Logger?
    /// Where the engine's figures go (swift-metrics); nil: the factory
    /// `MetricsSystem.bootstrap` chose (none: they go nowhere).
    public var metricsFactory: (any MetricsFactory)?
    /// How often the counters are published as metrics and their events
    /// logged, on a thread of the engine's own, never the loop; nil: never
    /// (attach and detach are still logged).
    public var telemetryIntervalNanoseconds: UInt64? = 1_000_000_000

    public init(
        maximumQueues: Int = 4096, ringEntries: UInt32 = 1024, drainBatch: Int = 256,
        watchdogIntervalNanoseconds: UInt64 = 10_000_000, trigger: TriggerPolicy = .moderated,
        headUpdateRetries: Int = 3, polling: PollingPolicy? = PollingPolicy()
    ) {
        self.maximumQueues = maximumQueues
        self.ringEntries = ringEntries
        self.drainBatch = drainBatch
        self.watchdogIntervalNanoseconds = watchdogIntervalNanoseconds
        self.trigger = trigger
        self.headUpdateRetries = headUpdateRetries
        self.polling = polling
    }
}

/// Where to arm a queue's tail pointer trigger, relative to its new head.
public enum TriggerPolicy: Sendable, Equatable, BitwiseCopyable {
    /// Wake on the first new entry, and a head update after every scan
    /// that consumed entries: lowest latency, one event and one admin
    /// command per entry at low rates.
    case nextEntry
    /// Wake once this many entries are waiting: fewer wake-ups under load.
    case afterEntries(UInt32)
    /// Moderated: the first entry after a quiet spell wakes the engine,
    /// then the queue is scanned on deadlines within
    /// `EngineConfiguration.deliveryBudgetNanoseconds`, its trigger placed
    /// by its observed rate so that events mark bursts, and head updates
    /// sent only for free space, a trigger to re-arm, or going idle
    /// (`QueueProtocol+Moderation.swift`, docs/engine.md).
    case moderated

    func index(head: UInt32, entries: UInt32) -> UInt32 {
        switch self {
        case .nextEntry, .moderated: return (head + 1) % entries
        case .afterEntries(let count): return (head + max(1, min(count, entries - 1))) % entries
        }
    }
}

/// Adaptive polling: a queue that delivers at least `enterEntriesPerScan`
/// entries in `enterConsecutiveScans` scans in a row is polled by the loop
/// without events (and without a trigger); after `leaveEmptyScans` empty
/// polls in a row it goes back to events.
public struct PollingPolicy: Sendable, Equatable, BitwiseCopyable {
    public var enterEntriesPerScan: Int
    public var enterConsecutiveScans: Int
    public var leaveEmptyScans: Int

    public init(enterEntriesPerScan: Int = 64, enterConsecutiveScans: Int = 4, leaveEmptyScans: Int = 256) {
        self.enterEntriesPerScan = enterEntriesPerScan
        self.enterConsecutiveScans = enterConsecutiveScans
        self.leaveEmptyScans = leaveEmptyScans
    }
}
