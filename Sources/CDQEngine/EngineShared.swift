import Atomics
import CDQNVMe
import CDQUring
import Histogram

/// State the loop thread shares with callers on other threads: slot
/// allocation, live counters, the mailbox, the error callback.
final class EngineShared: @unchecked Sendable {
    // @unchecked: everything mutable is behind `state` or atomic.

    let mailbox: ControlMailbox
    let counters = EngineCounters()
    /// The loop's latency histogram as of its last publication. Stored,
    /// not summarised: the percentiles are computed by whoever reads them,
    /// on their own thread (tens of microseconds the loop would otherwise
    /// spend at every watchdog tick, delaying whatever arrives meanwhile).
    private let latency = Locked<Histogram<UInt64>?>(nil)
    private let onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)?
    private let onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)?

    struct State {
        var freeSlots: [Int]
        var generations: [UInt16]
        var live: [Int: QueueCounters] = [:]
        var consumers: [ObjectIdentifier: Int] = [:]
        var retired = QueueStatistics()
        var failure: SystemError?
    }
    private let state: Locked<State>
    let maximumQueues: Int

    init(
        maximumQueues: Int, onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)?,
        onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)? = nil
    ) throws(SystemError) {
        mailbox = try ControlMailbox()
        self.maximumQueues = maximumQueues
        self.onQueueError = onQueueError
        self.onQueueProblem = onQueueProblem
        state = Locked(State(freeSlots: Array((0..<maximumQueues).reversed()), generations: Array(repeating: 0, count: maximumQueues)))
    }

    /// Picks a free slot for a new queue, and an index for its consumer.
    func allocate(consumer: Consumer) throws(EngineError) -> (QueueHandle, consumerIndex: Int, newConsumer: Bool, counters: QueueCounters) {
        let me = UInt(bitPattern: ObjectIdentifier(self).hashValue)
        let claimed = consumer.owner.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing)
        guard claimed.exchanged || claimed.original == me else { throw .consumerOfAnotherEngine }
        let result: (QueueHandle, Int, Bool, QueueCounters)? = state.withLock { state in
            guard let slot = state.freeSlots.popLast() else { return nil }
            let key = ObjectIdentifier(consumer)
            var newConsumer = false
            if state.consumers[key] == nil {
                state.consumers[key] = state.consumers.count
                newConsumer = true
            }
            let counters = QueueCounters()
            state.live[slot] = counters
            return (QueueHandle(index: UInt32(slot), generation: state.generations[slot]), state.consumers[key]!, newConsumer, counters)
        }
        guard let result else { throw .tooManyQueues(maximum: maximumQueues) }
        return result
    }

    func isRegistered(_ handle: QueueHandle) -> Bool {
        state.withLock { Int(handle.index) < $0.generations.count && $0.generations[Int(handle.index)] == handle.generation && $0.live[Int(handle.index)] != nil }
    }

    /// The live counters the loop writes for `handle`'s slot.
    func counters(of handle: QueueHandle) -> QueueCounters? {
        state.withLock { state in
            guard Int(handle.index) < state.generations.count, state.generations[Int(handle.index)] == handle.generation else { return nil }
            return state.live[Int(handle.index)]
        }
    }

    /// The loop is done with a slot: it may be reused under a new generation.
    func release(slot: Int) {
        state.withLock { state in
            if let counters = state.live[slot] { state.retired = state.retired + counters.snapshot }
            state.live[slot] = nil
            state.generations[slot] &+= 1
            state.freeSlots.append(slot)
        }
    }

    /// The loop's histogram, for readers on other threads. A copy-on-write
    /// value: publishing shares its storage, and the loop then makes its
    /// own copy of the counters at once (`EngineLoop.publishLatency`).
    func publish(_ histogram: Histogram<UInt64>) {
        latency.withLock { $0 = histogram }
    }

    /// Summarised here, outside the lock, on the reader's thread.
    var wakeupLatency: WakeupLatency {
        guard let histogram = latency.withLock({ $0 }) else { return .empty }
        return WakeupLatency(histogram)
    }

    func report(_ handle: QueueHandle, _ status: NVMeStatus) {
        onQueueError?(handle, status)
    }

    func report(_ handle: QueueHandle, _ problem: QueueProblem) {
        onQueueProblem?(handle, problem)
    }

    func fail(_ error: Error) {
        let system = (error as? SystemError) ?? SystemError("engine loop", errno: 5)
        state.withLock { $0.failure = system }
    }

    var failure: SystemError? { state.withLock { $0.failure } }

    var statistics: EngineStatistics {
        state.withLock { state in
            let totals = state.live.values.reduce(state.retired) { $0 + $1.snapshot }
            return EngineStatistics(turns: counters.turns.load(ordering: .relaxed),
                                    systemCalls: counters.systemCalls.load(ordering: .relaxed),
                                    queues: state.live.count, totals: totals)
        }
    }
}

final class EngineCounters: Sendable {
    let turns = ManagedAtomic<UInt64>(0)
    let systemCalls = ManagedAtomic<UInt64>(0)
}

extension QueueStatistics {
    static func + (lhs: QueueStatistics, rhs: QueueStatistics) -> QueueStatistics {
        QueueStatistics(
            entries: lhs.entries + rhs.entries, wakeups: lhs.wakeups + rhs.wakeups, scans: lhs.scans + rhs.scans,
            polls: lhs.polls + rhs.polls, headUpdates: lhs.headUpdates + rhs.headUpdates,
            headUpdatesCoalesced: lhs.headUpdatesCoalesced + rhs.headUpdatesCoalesced,
            adminErrors: lhs.adminErrors + rhs.adminErrors, ringFullStalls: lhs.ringFullStalls + rhs.ringFullStalls,
            overflows: lhs.overflows + rhs.overflows, lastEntries: lhs.lastEntries + rhs.lastEntries,
            watchdogScans: lhs.watchdogScans + rhs.watchdogScans, problems: lhs.problems + rhs.problems,
            problemsByKind: lhs.problemsByKind.merging(rhs.problemsByKind, uniquingKeysWith: +),
            queueLosses: lhs.queueLosses + rhs.queueLosses, deadlineScans: lhs.deadlineScans + rhs.deadlineScans)
    }
}
