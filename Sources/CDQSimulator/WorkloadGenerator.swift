import Atomics
import CDQNVMe
import CDQUring

/// Issues a `WorkloadSpec`'s stream of writes and deallocates to an
/// `IOTarget`: a guest's changes, for demos and benchmarks of the CDQ path.
///
/// Two ways to run:
/// - `start()` spawns one thread that issues operations until `stop()`.
/// - `run(operations:)` issues a fixed number on the caller's thread: the
///   deterministic mode (same seed, same operations, in order).
///
/// `start`, `stop`, `run` and `nextOperation` belong to one controlling
/// thread and must not overlap; misuse (starting twice, running while
/// started) is a precondition failure, not a silent race. `statistics` may
/// be read from any thread at any time. A started generator must be
/// stopped: its thread keeps it alive.
///
/// The hot loop allocates nothing and takes no lock: the stream is a value
/// copied into the loop, the data buffer (if any) is allocated at init,
/// statistics are single-writer atomics and the stop flag a relaxed load.
public final class WorkloadGenerator: @unchecked Sendable {
    // @unchecked: `stream` and `thread` are mutable, but `phase` admits one
    // owner at a time. `stream` is touched only by whoever moved `phase`
    // out of idle (the spawned thread sees it through pthread_create, the
    // controller gets it back through pthread_join); `thread` only by the
    // controlling thread in start and stop. Everything else is immutable
    // or atomic. The data buffer is written only by the issuing thread.

    public let target: any IOTarget
    public let nsid: UInt32
    public let capacity: UInt64
    public let lbaSize: Int
    public let spec: WorkloadSpec

    private var stream: WorkloadStream
    /// `largestBlockCount * lbaSize` zeroed bytes when the spec stores data.
    private let buffer: UnsafeMutableRawPointer?
    private let counters = WorkloadCounters()
    private let phase = ManagedAtomic<UInt8>(Phase.idle)
    private let stopRequested = ManagedAtomic<Bool>(false)
    private var thread: OSThread?

    /// Who owns the stream.
    private enum Phase {
        static let idle: UInt8 = 0
        static let threadRunning: UInt8 = 1
        static let callerRunning: UInt8 = 2
        static let stopping: UInt8 = 3
    }

    /// Longest single sleep of a paced generator, so `stop()` answers
    /// within about this long even at very low rates.
    private static let maximumSleepNanoseconds: UInt64 = 10_000_000

    /// With `storesData`, allocates the one data buffer every write reuses:
    /// the largest block count of the mix (clamped to the capacity) times
    /// `lbaSize` bytes.
    ///
    /// - Precondition: `spec.problem == nil`, `capacity > 0`, `lbaSize > 0`
    ///   and, with `storesData`, `lbaSize >= WorkloadStamp.size`.
    public init(target: any IOTarget, nsid: UInt32, capacity: UInt64, lbaSize: Int, spec: WorkloadSpec) {
        precondition(lbaSize > 0, "a block has at least one byte")
        precondition(!spec.storesData || lbaSize >= WorkloadStamp.size, "a block must hold a stamp")
        self.target = target
        self.nsid = nsid
        self.capacity = capacity
        self.lbaSize = lbaSize
        self.spec = spec
        stream = WorkloadStream(spec: spec, capacity: capacity)
        buffer = spec.storesData ? Self.zeroedBuffer(byteCount: Int(stream.largestBlockCount) * lbaSize) : nil
    }

    deinit { buffer?.deallocate() }

    /// The counts so far; exact once the generator is stopped or `run` has
    /// returned, per counter while it runs.
    public var statistics: WorkloadStatistics {
        counters.snapshot(now: MonotonicClock.nanoseconds())
    }

    // MARK: Running

    /// Spawns the issuing thread. Throws the `pthread_create` error.
    ///
    /// - Precondition: the generator is idle (not started, not in `run`).
    public func start() throws(SystemError) {
        take(Phase.threadRunning)
        do {
            thread = try OSThread(name: "workload generator") { self.issue(limit: Int.max) }
        } catch {
            phase.store(Phase.idle, ordering: .releasing)
            throw error
        }
    }

    /// Stops and joins the thread, and returns the totals of every run so
    /// far. Returns the statistics at once if the generator is not started.
    @discardableResult
    public func stop() -> WorkloadStatistics {
        guard phase.compareExchange(expected: Phase.threadRunning, desired: Phase.stopping, ordering: .acquiring).exchanged
        else { return statistics }
        stopRequested.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
        stopRequested.store(false, ordering: .relaxed)
        phase.store(Phase.idle, ordering: .releasing)
        return statistics
    }

    /// Issues the next `operations` operations on the calling thread, paced
    /// if the spec has a rate, and returns the totals of every run so far.
    ///
    /// - Precondition: the generator is idle.
    @discardableResult
    public func run(operations: Int) -> WorkloadStatistics {
        take(Phase.callerRunning)
        issue(limit: operations)
        phase.store(Phase.idle, ordering: .releasing)
        return statistics
    }

    /// The operation the generator would issue next, consumed without
    /// issuing it: the same stream `run` and the thread use, for looking at
    /// a workload without a target.
    ///
    /// - Precondition: the generator is idle.
    public func nextOperation() -> WorkloadOperation {
        take(Phase.callerRunning)
        defer { phase.store(Phase.idle, ordering: .releasing) }
        return stream.next()
    }

    /// The next `count` operations, consumed as by `nextOperation()`.
    public func operations(count: Int) -> [WorkloadOperation] {
        (0 ..< count).map { _ in nextOperation() }
    }

    // MARK: The loop

    /// Moves `phase` from idle to `owner`, or fails loudly.
    private func take(_ owner: UInt8) {
        let taken = phase.compareExchange(expected: Phase.idle, desired: owner, ordering: .acquiring).exchanged
        precondition(taken, "workload generator is already running")
    }

    /// Issues up to `limit` operations, until a stop is requested. The
    /// stream is copied into a local for the loop, so the hot path needs no
    /// exclusivity checks on `self`, and written back at the end.
    private func issue(limit: Int) {
        var stream = self.stream
        var pacer = spec.writesPerSecond.map { WorkloadPacer(operationsPerSecond: $0) }
        let start = MonotonicClock.nanoseconds()
        counters.beginRun(at: start)
        var issued = 0
        while issued < limit, !stopRequested.load(ordering: .relaxed) {
            if pacer != nil {
                let delay = pacer!.delayBeforeNext(now: MonotonicClock.nanoseconds() - start)
                if delay > 0 {
                    MonotonicClock.sleep(nanoseconds: min(delay, Self.maximumSleepNanoseconds))
                    continue
                }
            }
            perform(stream.next())
            issued += 1
        }
        self.stream = stream
        counters.endRun(at: MonotonicClock.nanoseconds())
    }

    /// Sends one operation to the target and counts it.
    private func perform(_ operation: WorkloadOperation) {
        let status: NVMeStatus
        switch operation.kind {
        case .write:
            status = write(operation)
        case .deallocate:
            status = target.deallocate(nsid: nsid, startingLBA: operation.startingLBA, blockCount: operation.blockCount)
        }
        counters.record(operation, status: status)
    }

    /// A write with stamped data, or without data when the spec stores none.
    private func write(_ operation: WorkloadOperation) -> NVMeStatus {
        guard let buffer else {
            return target.write(nsid: nsid, startingLBA: operation.startingLBA, blockCount: operation.blockCount, data: nil)
        }
        WorkloadStamp.stamp(buffer, for: operation, lbaSize: lbaSize)
        let data = UnsafeRawBufferPointer(start: buffer, count: Int(operation.blockCount) * lbaSize)
        return target.write(nsid: nsid, startingLBA: operation.startingLBA, blockCount: operation.blockCount, data: data)
    }

    private static func zeroedBuffer(byteCount: Int) -> UnsafeMutableRawPointer {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 4096)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return buffer
    }
}
