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
    private let engine: Engine
    private let control: AdminChannel
    private var attached = true

    /// Creates the queue through `control` (a channel this thread uses),
    /// starts logging, and registers it with `engine` using `transport`.
    public init(
        engine: Engine, control: AdminChannel, transport: SimulatorTransport, consumer: Consumer,
        cntlid: UInt16, entries: UInt32, startLogging: Bool = true
    ) throws(AttachError) {
        precondition(entries >= 2, "a CDQ has at least two entries")
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
                transport: transport, consumer: consumer))
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

    /// Unregisters from the engine, deletes the CDQ, frees the memory.
    public func detach() {
        guard attached else { return }
        attached = false
        _ = try? engine.unregister(handle)
        _ = control.execute(AdminRequest(.controllerDataQueueDelete(cdqid: cdqid)))
        memory.deallocate()
    }
}

/// Why attaching a queue failed; nothing is left behind when it does.
public enum AttachError: Error, Sendable, CustomStringConvertible {
    case nvme(String, NVMeStatus)
    case engine(EngineError)
    case system(SystemError)

    public var description: String {
        switch self {
        case .nvme(let step, let status): "\(step): \(status)"
        case .engine(let error): error.description
        case .system(let error): error.description
        }
    }
}
