import Atomics
import CDQEngine
import CDQSimulator
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What a `cdq_simulator` handle holds: a simulated subsystem, its
/// controller thread, and the writer threads an agent's test starts.
///
/// An admin channel has one client thread, and the engine's loop is that
/// thread for the channel of its transport; so each engine gets its own
/// backend (transport and channel), made at its first attach and kept.
final class CSimulator: Sendable {
    let subsystem: SimulatedSubsystem
    let runner: ControllerRunner
    let state = Locked(State())
    /// Queues attached to this simulator's controllers now.
    let attached = ManagedAtomic<Int>(0)

    struct State {
        /// The queue backend of each engine (by `CEngine.id`).
        var backends: [UInt64: SimulatedQueueBackend] = [:]
        /// Running writers, one per controller (CNTLID - 1), or empty.
        var writers: [WorkloadGenerator] = []
        /// Counts of writers already stopped, per controller.
        var finished: [WriterCounts] = []
    }

    struct WriterCounts {
        var operations: UInt64 = 0
        var blocks: UInt64 = 0
        var errors: UInt64 = 0

        mutating func add(_ statistics: WorkloadStatistics) {
            operations &+= statistics.operations
            blocks &+= statistics.blocksWritten &+ statistics.blocksDeallocated
            errors &+= statistics.errors
        }
    }

    init(_ configuration: SubsystemConfiguration) throws(CAPIError) {
        do {
            subsystem = try SimulatedSubsystem(configuration)
            runner = try ControllerRunner(subsystem: subsystem)
            try runner.start()
        } catch {
            throw CAPIError(error.errno, error.description)
        }
        state.withLock { $0 = State(finished: Array(repeating: WriterCounts(), count: configuration.migratableControllers)) }
    }

    deinit {
        stopWriters()
        runner.stop()
    }

    /// The queue backend `engine` uses for this simulator. The channel's
    /// depth covers a head update and an admin command in flight per queue.
    func backend(for engine: CEngine) throws(CAPIError) -> SimulatedQueueBackend {
        if let existing = state.withLock({ $0.backends[engine.id] }) { return existing }
        let depth = max(64, 2 * subsystem.controllers.count)
        let channel = try system { () throws(SystemError) in try runner.openChannel(depth: depth) }
        return state.withLock { state in
            if let raced = state.backends[engine.id] { return raced }
            let backend = SimulatedQueueBackend(subsystem: subsystem, transport: SimulatorTransport(channel: channel))
            state.backends[engine.id] = backend
            return backend
        }
    }

    // MARK: Writers

    func startWriters(writesPerSecond: Double, seed: UInt64) throws(CAPIError) {
        let configuration = subsystem.configuration
        let outcome: CAPIError? = state.withLock { state in
            guard state.writers.isEmpty else { return CAPIError(EALREADY, "the simulator's writers are already running") }
            var started: [WorkloadGenerator] = []
            for controller in subsystem.controllers {
                let writer = WorkloadGenerator(
                    target: controller, nsid: UInt32(controller.cntlid), capacity: configuration.namespaceCapacity,
                    lbaSize: configuration.lbaSize,
                    spec: WorkloadSpec(pattern: .uniform, writesPerSecond: writesPerSecond > 0 ? writesPerSecond : nil,
                                       seed: seed &+ UInt64(controller.cntlid), storesData: Self.keepsData(configuration)))
                do throws(SystemError) { try writer.start() } catch {
                    for running in started { running.stop() }
                    return CAPIError(error.errno, error.description)
                }
                started.append(writer)
            }
            state.writers = started
            return nil
        }
        if let outcome { throw outcome }
    }

    /// Stops and joins the writers; false when none ran.
    @discardableResult
    func stopWriters() -> Bool {
        state.withLock { state in
            guard !state.writers.isEmpty else { return false }
            for (index, writer) in state.writers.enumerated() { state.finished[index].add(writer.stop()) }
            state.writers = []
            return true
        }
    }

    func writerCounts(cntlid: UInt16) -> WriterCounts? {
        guard let controller = subsystem.controller(cntlid) else { return nil }
        _ = controller
        return state.withLock { state in
            var counts = state.finished[Int(cntlid) - 1]
            if !state.writers.isEmpty { counts.add(state.writers[Int(cntlid) - 1].statistics) }
            return counts
        }
    }

    private static func keepsData(_ configuration: SubsystemConfiguration) -> Bool {
        if case .discard = configuration.backing { return false }
        return configuration.lbaSize >= 16
    }
}
