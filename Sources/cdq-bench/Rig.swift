import CDQSimulator
import CDQUring
import Histogram

/// A simulated subsystem with one migratable controller per queue, its
/// controller thread running under the run's admin cost, and a channel for
/// setup commands.
final class Rig {
    let subsystem: SimulatedSubsystem
    let runner: ControllerRunner
    /// The channel the main thread creates, starts and deletes queues with.
    let control: AdminChannel
    /// The simulated controller's thread: it serves every head update.
    let controllerThreads: [Int32]

    init(queues: Int, adminCost: AdminCost) throws {
        subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: queues, namespaceCapacity: 1 << 40, backing: .discard,
            maximumQueues: max(4096, queues)))
        let runner = try ControllerRunner(subsystem: subsystem, adminCost: adminCost)
        self.runner = runner
        (_, controllerThreads) = try ThreadClock.spawned { try runner.start() }
        control = try runner.openChannel(depth: Self.controlDepth)
    }

    /// Setup commands in flight at once: under an admin latency, one at a
    /// time would make setting up 4096 queues take 4096 latencies.
    static let controlDepth = 64

    func stop() { runner.stop() }

    /// Runs `requests` on the setup channel, up to its depth at a time (the
    /// admin queue's own depth still applies); their completions, in order.
    @discardableResult
    func executeAll(_ requests: [AdminRequest]) -> [AdminCompletion] {
        var completions = Array(repeating: AdminCompletion.success, count: requests.count)
        var next = 0, done = 0
        while done < requests.count {
            while next < requests.count && control.submit(requests[next], tag: UInt64(next)) { next += 1 }
            control.ringDoorbell()
            control.waitForCompletionEvent()
            done += control.reap { tag, completion in completions[Int(tag)] = completion }
        }
        return completions
    }
}

/// What every consumer side counts, cumulatively, while it runs.
struct SideCounters {
    /// System calls made by the consumer side's own threads.
    var systemCalls: UInt64 = 0
    /// Readiness events handled (eventfd wake-ups).
    var wakeups: UInt64 = 0
    /// Head updates (Set Features FID 0x21) sent.
    var headUpdates: UInt64 = 0
    /// Admin commands the controller completed on the side's own channels.
    var adminCommands: UInt64 = 0

    static func - (lhs: SideCounters, rhs: SideCounters) -> SideCounters {
        SideCounters(systemCalls: lhs.systemCalls - rhs.systemCalls, wakeups: lhs.wakeups - rhs.wakeups,
                     headUpdates: lhs.headUpdates - rhs.headUpdates, adminCommands: lhs.adminCommands - rhs.adminCommands)
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
    /// Write to consumer (stamped runs), microseconds; the histogram for merging.
    var delivery: Histogram<UInt64>?
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
