import Atomics

/// Counters of one queue, written by the loop thread, readable from any.
public struct QueueStatistics: Sendable, Equatable {
    /// Records delivered to the consumer (overflow, problem and queue-lost records included).
    public var entries: UInt64 = 0
    /// Readiness events (eventfd wake-ups) seen.
    public var wakeups: UInt64 = 0
    /// Scans of the queue's phase bits (event-driven, watchdog or polling).
    public var scans: UInt64 = 0
    /// Scans made while the queue was in polling mode.
    public var polls: UInt64 = 0
    /// Set Features FID 0x21 commands sent.
    public var headUpdates: UInt64 = 0
    /// Head updates folded into a later one because one was in flight.
    public var headUpdatesCoalesced: UInt64 = 0
    /// Head updates the controller or kernel rejected.
    public var adminErrors: UInt64 = 0
    /// Times draining stopped because the consumer's ring was full.
    public var ringFullStalls: UInt64 = 0
    /// ESA 7 entries seen: the controller lost changes.
    public var overflows: UInt64 = 0
    /// LAST entries delivered (logging stopped, controller suspended, or
    /// queue full): how a lifecycle step knows the engine read to the end.
    public var lastEntries: UInt64 = 0
    /// Scans started by the watchdog rather than an event.
    public var watchdogScans: UInt64 = 0
    /// Entries delivered as `.problem` records (all kinds).
    public var problems: UInt64 = 0
    /// `problems` by kind; kinds never seen are absent.
    public var problemsByKind: [RecordProblem: UInt64] = [:]
    /// Queues lost (`.queueLost` records delivered): 0 or 1 for one queue.
    public var queueLosses: UInt64 = 0
    /// Scans started because a moderated queue's deadline came
    /// (`TriggerPolicy.moderated`), rather than by an event.
    public var deadlineScans: UInt64 = 0
}

/// The loop's live counters behind `QueueStatistics` (relaxed atomics: each
/// is exact, a snapshot of several is not taken at one instant).
final class QueueCounters: Sendable {
    let entries = ManagedAtomic<UInt64>(0)
    let wakeups = ManagedAtomic<UInt64>(0)
    let scans = ManagedAtomic<UInt64>(0)
    let polls = ManagedAtomic<UInt64>(0)
    let headUpdates = ManagedAtomic<UInt64>(0)
    let headUpdatesCoalesced = ManagedAtomic<UInt64>(0)
    let adminErrors = ManagedAtomic<UInt64>(0)
    let ringFullStalls = ManagedAtomic<UInt64>(0)
    let overflows = ManagedAtomic<UInt64>(0)
    let lastEntries = ManagedAtomic<UInt64>(0)
    let watchdogScans = ManagedAtomic<UInt64>(0)
    /// Indexed by `RecordProblem.rawValue`.
    let problems = (0...Int(RecordProblem.allCases.map(\.rawValue).max()!)).map { _ in ManagedAtomic<UInt64>(0) }
    let queueLosses = ManagedAtomic<UInt64>(0)
    let deadlineScans = ManagedAtomic<UInt64>(0)

    func countProblem(_ problem: RecordProblem) { problems[Int(problem.rawValue)].add(1) }

    private var problemsByKind: [RecordProblem: UInt64] {
        var counts: [RecordProblem: UInt64] = [:]
        for problem in RecordProblem.allCases {
            let count = problems[Int(problem.rawValue)].load(ordering: .relaxed)
            if count > 0 { counts[problem] = count }
        }
        return counts
    }

    var snapshot: QueueStatistics {
        QueueStatistics(
            entries: entries.load(ordering: .relaxed), wakeups: wakeups.load(ordering: .relaxed),
            scans: scans.load(ordering: .relaxed), polls: polls.load(ordering: .relaxed),
            headUpdates: headUpdates.load(ordering: .relaxed),
            headUpdatesCoalesced: headUpdatesCoalesced.load(ordering: .relaxed),
            adminErrors: adminErrors.load(ordering: .relaxed), ringFullStalls: ringFullStalls.load(ordering: .relaxed),
            overflows: overflows.load(ordering: .relaxed), lastEntries: lastEntries.load(ordering: .relaxed),
            watchdogScans: watchdogScans.load(ordering: .relaxed),
            problems: problems.reduce(0) { $0 + $1.load(ordering: .relaxed) }, problemsByKind: problemsByKind,
            queueLosses: queueLosses.load(ordering: .relaxed), deadlineScans: deadlineScans.load(ordering: .relaxed))
    }
}

extension ManagedAtomic where Value == UInt64 {
    func add(_ amount: UInt64) { wrappingIncrement(by: amount, ordering: .relaxed) }
}
