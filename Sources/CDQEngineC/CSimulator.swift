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
/// Admin channels have one client thread each, so every engine gets its
/// own channel for head updates, and every attached queue borrows one for
/// its own admin commands (from a pool: the controller thread serves every
/// channel ever opened, so they are reused, not piled up).
final class CSimulator: Sendable {
    let subsystem: SimulatedSubsystem
    let runner: ControllerRunner
    let state = Locked(State())

    struct State {
        /// Head update channel of each engine (by `CEngine.id`).
        var transports: [UInt64: SimulatorTransport] = [:]
        var idleChannels: [AdminChannel] = []
        var attached = 0
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

    /// The engine's head update path into this simulator.
    func transport(for engine: CEngine) throws(CAPIError) -> SimulatorTransport {
        if let existing = state.withLock({ $0.transports[engine.id] }) { return existing }
        let depth = max(64, subsystem.controllers.count)
        let channel: AdminChannel
        do { channel = try runner.openChannel(depth: depth) } catch { throw CAPIError(error.errno, error.description) }
        return state.withLock { state in
            if let raced = state.transports[engine.id] { return raced }
            let transport = SimulatorTransport(channel: channel)
            state.transports[engine.id] = transport
            return transport
        }
    }

    func takeControlChannel() throws(CAPIError) -> AdminChannel {
        if let idle = state.withLock({ $0.idleChannels.popLast() }) { return idle }
        do { return try runner.openChannel(depth: 4) } catch { throw CAPIError(error.errno, error.description) }
    }

    func giveBack(_ channel: AdminChannel) {
        state.withLock { $0.idleChannels.append(channel) }
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
