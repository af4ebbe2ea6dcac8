import CDQEngine
import CDQMigration
import CDQNVMe
import CDQSimulator
import CDQUring

/// The controller side of a migration on the simulator: a user data
/// migration queue of one migratable controller, attached to an engine,
/// whose records go to a consumer of its own.
///
/// Admin commands go through `control`, a channel used only by the thread
/// that runs the migration (the same one that created this object).
public final class SimulatedMigrationSource: MigrationController {
    public let consumer: Consumer
    public let nsid: UInt32
    public var cdqid: UInt16 { queue.cdqid }
    public let convention = NLBConvention.specification
    public let cntlid: UInt16
    /// The namespace's backing file: what the copy engine reads.
    public let sourcePath: String
    private let queue: SimulatedQueue
    private let control: AdminChannel
    private var attached = true
    private var suspended = false
    private var logging = false

    /// Creates the queue (`entries` entries) for controller `cntlid` and
    /// registers it with `engine`; logging starts with `startLogging`.
    /// The namespace must be file backed (`SubsystemBacking.files`).
    public init(
        runner: ControllerRunner, engine: Engine, transport: SimulatorTransport,
        cntlid: UInt16, entries: UInt32 = 4096, consumerCapacity: Int = 16_384
    ) throws(MigrationError) {
        guard let controller = runner.subsystem.controller(cntlid), let namespace = controller.namespaces.first else {
            throw .configuration("the simulated subsystem has no migratable controller \(cntlid)")
        }
        guard case .file(let path) = namespace.backing else {
            throw .configuration("controller \(cntlid)'s namespace is not file backed; the copy engine reads a file")
        }
        self.cntlid = cntlid
        nsid = namespace.nsid
        sourcePath = path
        do {
            consumer = try Consumer(capacity: consumerCapacity)
            control = try runner.openChannel(depth: 4)
        } catch { throw .system(error) }
        do {
            queue = try SimulatedQueue(engine: engine, control: control, transport: transport, consumer: consumer,
                                       cntlid: cntlid, entries: entries, startLogging: false)
        } catch { throw .controller("attaching controller \(cntlid)'s queue: \(error)") }
    }

    public func startLogging() throws(MigrationError) {
        let status = control.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .start))).status
        guard status.isSuccess else { throw .controller("Track Send start on CDQ \(cdqid) failed: \(status)") }
        logging = true
    }

    public func suspend() throws(MigrationError) {
        let status = control.execute(AdminRequest(.migrationSendSuspend(
            cntlid: cntlid, suspendType: .suspend, deleteUserDataMigrationQueue: true))).status
        guard status.isSuccess else {
            throw .controller("Migration Send suspend of controller \(cntlid) was rejected: \(status)")
        }
        suspended = true
    }

    public func detachAfterSuspend() {
        guard attached else { return }
        attached = false
        queue.detach(deleteOnController: false)
    }

    /// Lets go of the queue if it is still attached (logging stopped first),
    /// without resuming anything: for tearing down after success or failure
    /// while the controller thread and the engine still run.
    public func release() {
        guard attached else { return }
        attached = false
        if logging { _ = queue.stopLoggingAndDetach(timeoutNanoseconds: 1_000_000_000) } else { queue.detach() }
    }

    public func abandon() -> String {
        var done: [String] = []
        if suspended {
            let status = control.execute(AdminRequest(.migrationSendResume(cntlid: cntlid))).status
            done.append(status.isSuccess ? "controller \(cntlid) resumed" : "resuming controller \(cntlid) failed: \(status)")
            suspended = false
        } else {
            done.append("controller \(cntlid) was not suspended")
        }
        if attached && !logging {
            attached = false
            queue.detach()
            done.append("the queue deleted")
        } else if attached {
            attached = false
            // Stop logging before the memory goes away; the queue is deleted after it.
            let stopped = queue.stopLoggingAndDetach(timeoutNanoseconds: 1_000_000_000)
            done.append(stopped ? "logging stopped and the queue deleted" : "the queue deleted (its LAST entry did not arrive)")
        }
        return done.joined(separator: ", ")
    }
}
