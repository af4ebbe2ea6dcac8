import Atomics
import CDQNVMe

/// What a workload generator has issued so far.
///
/// Counts are of operations issued to the target, whatever status they
/// completed with; `errors` counts those that did not succeed. So
/// `operations == writes + deallocates` and `errors <= operations`.
public struct WorkloadStatistics: Sendable, Hashable, CustomStringConvertible {
    public var operations: UInt64 = 0
    public var writes: UInt64 = 0
    public var deallocates: UInt64 = 0
    public var blocksWritten: UInt64 = 0
    public var blocksDeallocated: UInt64 = 0
    /// Operations whose status was not success.
    public var errors: UInt64 = 0
    /// The status of the first operation that failed, nil while none has.
    public var firstError: NVMeStatus?
    /// Time spent issuing operations, summed over every run.
    public var elapsedNanoseconds: UInt64 = 0

    public init() {}

    /// Operations per second over `elapsedNanoseconds`; 0 before any time
    /// has passed.
    public var operationsPerSecond: Double {
        elapsedNanoseconds == 0 ? 0 : Double(operations) * 1e9 / Double(elapsedNanoseconds)
    }

    /// E.g. `1000 operations (900 writes, 100 deallocates), 7200 blocks
    /// written, 0 errors in 0.300 s (3333 op/s)`.
    public var description: String {
        let milliseconds = elapsedNanoseconds / 1_000_000
        let seconds = "\(milliseconds / 1000)." + String(String(milliseconds % 1000 + 1000).dropFirst())
        var text = "\(operations) operations (\(writes) writes, \(deallocates) deallocates), "
            + "\(blocksWritten) blocks written, \(errors) errors"
        if let firstError { text += " (first: \(firstError))" }
        return text + " in \(seconds) s (\(UInt64(operationsPerSecond)) op/s)"
    }
}

/// The live counters behind `WorkloadStatistics`, readable from any thread
/// while one thread issues operations.
///
/// There is exactly one writer at a time (the thread running the
/// workload), so each update is a relaxed load and store, not a locked
/// read-modify-write: on x86 two plain moves. Readers see each counter
/// exact but not all counters at the same instant; after the run has ended
/// (thread joined) a snapshot is exact.
final class WorkloadCounters: Sendable {
    private let operations = ManagedAtomic<UInt64>(0)
    private let writes = ManagedAtomic<UInt64>(0)
    private let deallocates = ManagedAtomic<UInt64>(0)
    private let blocksWritten = ManagedAtomic<UInt64>(0)
    private let blocksDeallocated = ManagedAtomic<UInt64>(0)
    private let errors = ManagedAtomic<UInt64>(0)
    /// `1 << 16 | status.rawValue` of the first failure; 0 while none.
    private let firstError = ManagedAtomic<UInt32>(0)
    /// Nanoseconds of runs that have ended.
    private let finishedNanoseconds = ManagedAtomic<UInt64>(0)
    /// Monotonic start of the run in progress; 0 while none is.
    private let runStart = ManagedAtomic<UInt64>(0)

    /// Counts one issued operation and the status it completed with.
    func record(_ operation: WorkloadOperation, status: NVMeStatus) {
        add(1, to: operations)
        switch operation.kind {
        case .write:
            add(1, to: writes)
            add(UInt64(operation.blockCount), to: blocksWritten)
        case .deallocate:
            add(1, to: deallocates)
            add(UInt64(operation.blockCount), to: blocksDeallocated)
        }
        if !status.isSuccess { recordError(status) }
    }

    func beginRun(at now: UInt64) {
        runStart.store(now, ordering: .relaxed)
    }

    func endRun(at now: UInt64) {
        let start = runStart.load(ordering: .relaxed)
        add(now - start, to: finishedNanoseconds)
        runStart.store(0, ordering: .relaxed)
    }

    /// The counters now; `now` adds the time of a run in progress.
    func snapshot(now: UInt64) -> WorkloadStatistics {
        var statistics = WorkloadStatistics()
        statistics.operations = operations.load(ordering: .relaxed)
        statistics.writes = writes.load(ordering: .relaxed)
        statistics.deallocates = deallocates.load(ordering: .relaxed)
        statistics.blocksWritten = blocksWritten.load(ordering: .relaxed)
        statistics.blocksDeallocated = blocksDeallocated.load(ordering: .relaxed)
        statistics.errors = errors.load(ordering: .relaxed)
        let first = firstError.load(ordering: .relaxed)
        statistics.firstError = first == 0 ? nil : NVMeStatus(rawValue: UInt16(truncatingIfNeeded: first))
        let start = runStart.load(ordering: .relaxed)
        let running = start == 0 || now < start ? 0 : now - start
        statistics.elapsedNanoseconds = finishedNanoseconds.load(ordering: .relaxed) + running
        return statistics
    }

    private func recordError(_ status: NVMeStatus) {
        add(1, to: errors)
        if firstError.load(ordering: .relaxed) == 0 {
            firstError.store(1 << 16 | UInt32(status.rawValue), ordering: .relaxed)
        }
    }

    /// Single-writer increment: see the type's comment.
    private func add(_ value: UInt64, to counter: ManagedAtomic<UInt64>) {
        counter.store(counter.load(ordering: .relaxed) &+ value, ordering: .relaxed)
    }
}
