import CDQEngine
import CDQNVMe

/// The controller side of a migration on any `QueueBackend`: the kernel's
/// `/dev/nvmeN` (`KernelQueueBackend`) or the simulator
/// (`SimulatedQueueBackend`). The queue is an `AttachedQueue`, so Track
/// Send and Migration Send travel through the engine's admin path, and a
/// failure at any step leaves no queue behind.
public final class AttachedMigrationSource: MigrationController {
    public let consumer: Consumer
    public let nsid: UInt32
    public let convention: NLBConvention
    public let queue: AttachedQueue
    /// The engine reading the queue (its counters tell how far it read).
    let engine: Engine
    public var cdqid: UInt16 { queue.cdqid }
    public var cntlid: UInt16 { queue.cntlid }
    private var attached = true
    private var suspended = false
    private var logging = false

    /// Attaches a queue of (about) `entries` entries for controller
    /// `cntlid` without starting to log; `queue.memory.reason` says how
    /// many entries it got and why.
    public init(
        engine: Engine, backend: any QueueBackend, cntlid: UInt16, nsid: UInt32, entries: UInt32 = 4096,
        convention: NLBConvention = .specification, consumerCapacity: Int = 16_384
    ) throws(MigrationError) {
        self.nsid = nsid
        self.convention = convention
        self.engine = engine
        do { consumer = try Consumer(capacity: consumerCapacity) } catch { throw .system(error) }
        do {
            queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: cntlid,
                                      entries: entries, startLogging: false)
        } catch {
            throw .controller("attaching controller \(cntlid)'s queue on \(backend.name): \(error)")
        }
    }

    public func startLogging() throws(MigrationError) {
        do { try queue.startLogging() } catch { throw .controller("\(error) (CDQ \(cdqid))") }
        logging = true
    }

    public func suspend() throws(MigrationError) {
        do { try queue.suspend() } catch {
            throw .controller("Migration Send suspend of controller \(cntlid) was rejected: \(Self.reason(error))")
        }
        suspended = true
    }

    public func detachAfterSuspend() {
        guard attached else { return }
        attached = false
        try? queue.detach()
    }

    /// Lets go of the queue if still attached (logging stopped first),
    /// without resuming anything: for tearing down after a migration.
    public func release() {
        guard attached else { return }
        attached = false
        if logging { try? queue.stopLoggingAndDetach(timeoutNanoseconds: 1_000_000_000) } else { try? queue.detach() }
    }

    public func abandon() -> String {
        var done: [String] = []
        if suspended {
            do { try queue.resume(); done.append("controller \(cntlid) resumed") }
            catch { done.append("resuming controller \(cntlid) failed: \(Self.reason(error))") }
            suspended = false
        } else {
            done.append("controller \(cntlid) was not suspended")
        }
        guard attached else { return done.joined(separator: ", ") }
        attached = false
        if !logging {
            done.append((try? queue.detach()) != nil ? "the queue deleted" : "deleting the queue failed")
        } else {
            // Stop logging before the memory goes away; the queue is deleted after it.
            do { try queue.stopLoggingAndDetach(timeoutNanoseconds: 1_000_000_000); done.append("logging stopped and the queue deleted") }
            catch { done.append("the queue deleted (\(error))") }
        }
        return done.joined(separator: ", ")
    }

    /// An NVMe status by name rather than the step's whole description.
    private static func reason(_ error: QueueLifecycleError) -> String {
        if case .admin(_, let admin) = error { return admin.description }
        return error.description
    }
}
