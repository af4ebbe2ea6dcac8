import CDQEngine
import CDQNVMe
import CDQSimulator

#if canImport(Glibc)
import Glibc
#endif

/// A queue on a simulated migratable controller. It owns an admin channel
/// of the simulator for its whole life (a channel has one client thread),
/// and gives it back when detached.
final class SimulatedBackend: QueueBackend {
    let queue: SimulatedQueue
    let engine: Engine
    let control: AdminChannel
    let simulator: CSimulator

    init(engine: Engine, consumer: Consumer, simulator: CSimulator, cntlid: UInt16, entries: UInt32,
         startLogging: Bool, transport: SimulatorTransport) throws(CAPIError) {
        let control = try simulator.takeControlChannel()
        do {
            queue = try SimulatedQueue(engine: engine, control: control, transport: transport, consumer: consumer,
                                       cntlid: cntlid, entries: entries, startLogging: startLogging)
        } catch {
            simulator.giveBack(control)
            throw Self.translate(error)
        }
        self.engine = engine
        self.control = control
        self.simulator = simulator
    }

    var handle: QueueHandle { queue.handle }
    var cdqid: UInt16 { queue.cdqid }
    var cntlid: UInt16 { queue.cntlid }
    var entryCount: UInt32 { queue.entryCount }

    func startLogging() throws(CAPIError) {
        let status = queue.startLogging()
        guard status.isSuccess else { throw CAPIError(EIO, "Track Send start: \(status)") }
    }

    func stopLoggingAndDetach(timeoutNanoseconds: UInt64) throws(CAPIError) {
        defer { detach() }
        try afterLast(engine, "Track Send stop", timeoutNanoseconds: timeoutNanoseconds) { queue.stopLogging() }
    }

    func suspendAndDetach(timeoutNanoseconds: UInt64) throws(CAPIError) {
        var deletedByController = false
        defer { finish(deleteOnController: !deletedByController) }
        try afterLast(engine, "Migration Send suspend", timeoutNanoseconds: timeoutNanoseconds) {
            let status = control.execute(AdminRequest(.migrationSendSuspend(
                cntlid: cntlid, suspendType: .suspend, deleteUserDataMigrationQueue: true))).status
            deletedByController = status.isSuccess
            return status
        }
    }

    func detach() { finish(deleteOnController: true) }

    private func finish(deleteOnController: Bool) {
        queue.detach(deleteOnController: deleteOnController)
        simulator.giveBack(control)
    }

    /// The errno an attach failure becomes.
    static func translate(_ error: AttachError) -> CAPIError {
        switch error {
        case .nvme(let step, let status):
            if status.matches(.invalidControllerIdentifier) {
                return CAPIError(ENODEV, "\(step): no such migratable controller (\(status))")
            }
            return CAPIError(EIO, "\(step): \(status)")
        case .engine(let error): return CEngineErrors.translate(error)
        case .system(let error): return CAPIError(error.errno, error.description)
        }
    }
}
