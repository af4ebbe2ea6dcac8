import CDQEngine
import CDQNVMe
import CDQUring

/// One user data migration queue on the simulator, attached to an engine:
/// zeroed page-aligned memory, its eventfd, the CDQ created for a
/// migratable controller, logging started, and the queue registered.
///
/// `detach()` undoes it in reverse order; `deinit` detaches if needed, so
/// the controller never writes into freed memory.
public final class SimulatedQueue {
    public let cntlid: UInt16
    public let cdqid: UInt16
    public let entryCount: UInt32
    public let handle: QueueHandle
    public let memory: UnsafeMutableRawBufferPointer
    public let eventFD: EventFD
    let engine: Engine
    private let control: AdminChannel
    private var attached = true

    /// Creates the queue through `control` (a channel this thread uses),
    /// starts logging, and registers it with `engine` using `transport`.
    public init(
        engine: Engine, control: AdminChannel, transport: SimulatorTransport, consumer: Consumer,
        cntlid: UInt16, entries: UInt32, startLogging: Bool = true, scope: QueueScope? = nil
    ) throws(AttachError) {
        if let tooFew = ControllerDataQueue.tooFewEntries(entries) { throw .tooFewEntries(tooFew) }
        self.engine = engine
        self.control = control
        self.cntlid = cntlid
        entryCount = entries
        memory = .allocate(byteCount: Int(entries) * MigrationQueueEntry.size, alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        do { eventFD = try EventFD() } catch { memory.deallocate(); throw .system(error) }
        let created = control.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: cntlid,
                                       sizeInDwords: entries * 8, prp1: 0),
            data: memory, tailPointerEventFD: eventFD.fileDescriptor))
        guard created.status.isSuccess else { memory.deallocate(); throw .nvme("create", created.status) }
        cdqid = UInt16(truncatingIfNeeded: created.dw0)
        do {
            handle = try engine.register(QueueRegistration(
                memory: memory.baseAddress!, entryCount: entries, cdqid: cdqid, eventFD: eventFD,
                transport: transport, consumer: consumer, scope: scope))
        } catch {
            _ = control.execute(AdminRequest(.controllerDataQueueDelete(cdqid: cdqid)))
            memory.deallocate()
            throw .engine(error)
        }
        if startLogging {
            let started = control.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .start)))
            guard started.status.isSuccess else {
                detach()
                throw .nvme("track send", started.status)
            }
        }
    }

    deinit { detach() }

    /// Track Send stop: the controller posts LAST (logging stopped).
    public func stopLogging() -> NVMeStatus {
        control.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .stop))).status
    }

    /// Unregisters from the engine, deletes the CDQ (unless the controller
    /// already did, as Migration Send with DUDMQ does), frees the memory.
    public func detach(deleteOnController: Bool = true) {
        guard attached else { return }
        attached = false
        _ = try? engine.unregister(handle)
        if deleteOnController {
            _ = control.execute(AdminRequest(.controllerDataQueueDelete(cdqid: cdqid)))
        }
        memory.deallocate()
    }
}

/// Why attaching a queue failed; nothing is left behind when it does.
public enum AttachError: Error, Sendable, CustomStringConvertible {
    case nvme(String, NVMeStatus)
    case engine(EngineError)
    case system(SystemError)
    /// The queue asked for cannot carry a FIRST, a change and a LAST.
    case tooFewEntries(String)

    public var description: String {
        switch self {
        case .tooFewEntries(let why): why
        case .nvme(let step, let status): "\(step): \(status)"
        case .engine(let error): error.description
        case .system(let error): error.description
        }
    }
}

extension SimulatedQueue {
    /// The end of a queue's life as the protocol has it (§3): Track Send
    /// stop, then wait until the engine has read up to the LAST entry, so
    /// every change logged before it is in the consumer's ring; then detach.
    /// Returns false when the LAST entry did not arrive in time (the queue is
    /// detached all the same: nothing may be left pinned to freed memory).
    public func stopLoggingAndDetach(timeoutNanoseconds: UInt64 = 5_000_000_000) -> Bool {
        let reached = afterLast(timeoutNanoseconds) { stopLogging().isSuccess }
        detach()
        return reached
    }

    /// The suspend flow (§3): Migration Send suspend with DUDMQ, wait until
    /// the engine has read the LAST (controller suspended) entry, then
    /// detach; the controller has deleted the queue itself. Returns false
    /// when the controller refused or the LAST entry did not arrive in time.
    public func suspendAndDetach(timeoutNanoseconds: UInt64 = 5_000_000_000) -> Bool {
        var suspended = false
        let reached = afterLast(timeoutNanoseconds) {
            suspended = control.execute(AdminRequest(.migrationSendSuspend(
                cntlid: cntlid, suspendType: .suspend, deleteUserDataMigrationQueue: true))).status.isSuccess
            return suspended
        }
        // A refused suspend deleted nothing: the queue must go before its
        // memory does, or the still-running controller writes into freed memory.
        detach(deleteOnController: !suspended)
        return reached
    }

    /// Runs `step` (which makes the controller post a LAST entry) and waits
    /// until the engine counted one more LAST entry for this queue.
    func afterLast(_ timeoutNanoseconds: UInt64, _ step: () -> Bool) -> Bool {
        let before = engine.lastEntries(of: handle)
        guard step() else { return false }
        return engine.waitForLastEntry(of: handle, beyond: before, timeoutNanoseconds: timeoutNanoseconds)
    }
}
