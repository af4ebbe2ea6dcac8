import CDQEngine
import CDQNVMe

/// What the migrator does with a record it cannot apply exactly.
public enum UntrustedEntryPolicy: String, Sendable, CaseIterable {
    /// Count it, treat the whole namespace as dirty, and go on (the default):
    /// copying again is always correct.
    case resync
    /// Count it and stop the migration; the source is resumed if it was suspended.
    case abort
}

/// The migrator's reading of one record from its queue: pure, so every
/// rule of what can be applied exactly sits in one place.
///
/// A record is applied only when it is an entry of this queue, well-formed
/// and inside the namespace (the engine's `EntryCheck`, with the migrated
/// namespace as scope), and, for a marker, one the migrator caused: the
/// FIRST after its Track Send start, the LAST (suspended) after its
/// suspend. Anything else is untrusted and named, so the caller counts it
/// and copies everything again. An unexpected LAST means logging stopped
/// behind the migrator's back: changes go unlogged until a FIRST, which
/// `loggingGap` tracks.
struct RecordReader {
    let cdqid: UInt16
    let check: EntryCheck
    /// FIRST entries the migrator caused and has not read yet.
    var firstsExpected = 0
    /// The migrator asked for the suspend: one LAST (suspended) is expected.
    var suspendRequested = false
    /// An unexpected LAST was read and no FIRST since: changes are not logged.
    private(set) var loggingGap = false
    /// The expected LAST (suspended) was read: the queue has said all it
    /// will, so losing it afterwards costs nothing.
    private(set) var ended = false

    enum Verdict: Equatable {
        /// A change record of the namespace: insert its range.
        case change(MigrationQueueEntry)
        /// LBACIR 1: the controller says the whole namespace changed.
        case wholeNamespace
        /// ESA 7: changes were lost.
        case overflow
        /// The FIRST the migrator's Track Send start caused.
        case expectedFirst
        /// The LAST (suspended) the migrator's suspend caused.
        case expectedLast
        /// Cannot be applied exactly; the stable name of why.
        case untrusted(String)
        /// The engine lost the queue.
        case queueLost(QueueLoss?)
        /// The queue was lost after its expected LAST: nothing is missing.
        case afterTheEnd
    }

    init(cdqid: UInt16, nsid: UInt32, capacity: UInt64, convention: NLBConvention) {
        self.cdqid = cdqid
        check = EntryCheck(scope: QueueScope(nsid: nsid, capacity: capacity, convention: convention))
    }

    mutating func read(_ record: CDQRecord) -> Verdict {
        guard record.cdqid == cdqid else { return .untrusted("other_queue") }
        switch record.kind {
        case .queueLost: return ended ? .afterTheEnd : .queueLost(record.loss)
        case .problem: return .untrusted(record.problem?.name ?? "problem_\(record.detail)")
        case .overflow: return .overflow
        case .entry: break
        }
        let entry = record.entry
        if let problem = check.problem(entry) { return .untrusted(problem.name) }
        switch entry.entryStatus {
        case .middle: return entry.lbaChange == .rangeChanged ? .change(entry) : .wholeNamespace
        case .lastQueueFull: return .overflow
        case .first:
            loggingGap = false
            guard firstsExpected > 0 else { return .untrusted("unexpected_first") }
            firstsExpected -= 1
            return .expectedFirst
        case .lastControllerSuspended where suspendRequested:
            suspendRequested = false
            ended = true
            return .expectedLast
        case .lastControllerSuspended, .lastLoggingStopped:
            loggingGap = true
            return .untrusted("unexpected_last")
        case .reserved:
            return .untrusted(RecordProblem.reservedEntryStatus.name) // validate() reports it first
        }
    }
}
