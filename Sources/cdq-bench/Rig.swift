import CDQSimulator
import CDQUring

/// A simulated subsystem with one migratable controller per queue, its
/// controller thread running, and a channel for setup commands.
final class Rig {
    let subsystem: SimulatedSubsystem
    let runner: ControllerRunner
    /// The channel the main thread creates, starts and deletes queues with.
    let control: AdminChannel
    /// The simulated controller's thread: it serves every head update.
    let controllerThreads: [Int32]

    init(queues: Int) throws {
        subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: queues, namespaceCapacity: 1 << 40, backing: .discard,
            maximumQueues: max(4096, queues)))
        let runner = try ControllerRunner(subsystem: subsystem)
        self.runner = runner
        (_, controllerThreads) = try ThreadClock.spawned { try runner.start() }
        control = try runner.openChannel(depth: 4)
    }

    func stop() { runner.stop() }
}

/// What every consumer side counts, cumulatively, while it runs.
struct SideCounters {
    /// System calls made by the consumer side's own threads.
    var systemCalls: UInt64 = 0
    /// Readiness events handled (eventfd wake-ups).
    var wakeups: UInt64 = 0
    /// Head updates (Set Features FID 0x21) sent.
    var headUpdates: UInt64 = 0

    static func - (lhs: SideCounters, rhs: SideCounters) -> SideCounters {
        SideCounters(systemCalls: lhs.systemCalls - rhs.systemCalls, wakeups: lhs.wakeups - rhs.wakeups,
                     headUpdates: lhs.headUpdates - rhs.headUpdates)
    }
}

/// How a side's books closed.
struct SideBooks {
    var delivered: UInt64 = 0
    var lost: UInt64 = 0
    var duplicated: UInt64 = 0
    var overflows: UInt64 = 0
    /// Microseconds.
    var p50 = 0.0
    var p99 = 0.0
    var p999 = 0.0
}

/// A way of consuming the rig's queues: the engine, or the baseline.
protocol ConsumerSide: AnyObject {
    /// The threads whose CPU time is the side's cost.
    var consumerThreads: [Int32] { get }
    var counters: SideCounters { get }
    /// LAST (logging stopped) entries consumed so far.
    var lastsSeen: Int { get }
    /// Track Send stop on every queue: each posts a LAST entry.
    func stopLogging()
    /// Stops the side's threads and takes the queues down; then the books.
    func finish(written: [UInt64]) -> SideBooks
}
