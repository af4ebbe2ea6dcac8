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
    /// many entries it got and why. With the namespace's `capacity`, the
    /// engine checks every entry against it too (the migrator always does).
    public init(
        engine: Engine, backend: any QueueBackend, cntlid: UInt16, nsid: UInt32, entries: UInt32 = 4096,
        convention: NLBConvention = .specification, consumerCapacity: Int = 16_384, capacity: UInt64? = nil
    ) throws(MigrationError) {
        self.nsid = nsid
        self.convention = convention
        self.engine = engine
        do { consumer = try Consumer(capacity: consumerCapacity) } catch { throw .system(error) }
        do {
            queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: cntlid,
                                      entries: entries, startLogging: false,
                                      scope: capacity.map { QueueScope(nsid: nsid, capacity: $0, convention: convention) })
        } catch {
            throw Self.failure("attaching controller \(cntlid)'s queue on \(backend.name): \(error)", error)
        }
    }

    public func startLogging() throws(MigrationError) {
        do { try queue.startLogging() } catch { throw Self.failure("\(error) (CDQ \(cdqid))", error) }
        logging = true
    }

    public func suspend() throws(MigrationError) {
        do { try queue.suspend() } catch {
            throw Self.failure("Migration Send suspend of controller \(cntlid) was rejected: \(Self.reason(error))", error)
        }
        suspended = true
    }

    public func detachAfterSuspend() {
        guard attached else { return }
        attached = false
        try? queue.detach()
    }

    public func isSuspended() throws(MigrationError) -> Bool {
        let state = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.stateReadBytes, alignment: 4096)
        defer { state.deallocate() }
        state.initializeMemory(as: UInt8.self, repeating: 0)
        do { try queue.receiveControllerState(into: state) } catch {
            if case .admin(_, .nvme(let status)) = error, status.matches(.controllerNotSuspended) { return false }
            // The TP4159 emulation answers an unknown CNTLID with Invalid Controller Data Queue (§6b).
            let unknown = error.nvmeStatus?.matches(.invalidControllerDataQueue) == true ? " (an unknown CNTLID?)" : ""
            throw Self.failure("Migration Receive of controller \(cntlid) failed, so it cannot be confirmed suspended: "
                + Self.reason(error) + unknown, error)
        }
        return ControllerStateHeader(buffer: UnsafeRawBufferPointer(state))?.isSuspended ?? false
    }

    /// One page of controller state: the header is all that is read, but
    /// a controller may not accept transfers smaller than a page.
    static let stateReadBytes = 4096

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
            catch {
                done.append(queue.deleted ? "the queue deleted (\(error))"
                    : "the queue could not be deleted, its memory is kept (\(error))")
            }
        }
        return done.joined(separator: ", ")
    }

    /// `.refused` with the controller's status when it refused the step,
    /// so the status reaches the caller typed; `.controller` otherwise.
    static func failure(_ text: String, _ error: QueueLifecycleError) -> MigrationError {
        error.nvmeStatus.map { .refused(text, $0) } ?? .controller(text)
    }

    /// An NVMe status by name rather than the step's whole description.
    private static func reason(_ error: QueueLifecycleError) -> String {
        if case .admin(_, let admin) = error { return admin.description }
        return error.description
    }
}
