import CCDQ
import CDQEngine
import CDQUring

/// Real CDQs on a controller device (`/dev/nvmeN`) of a kernel carrying the
/// CDQ RFC: created and deleted through `NVME_IOCTL_CDQ`, everything else
/// (head updates, Track Send, Migration Send/Receive) as uring_cmd on the
/// engine's ring through `KernelTransport`.
///
/// It records every CDQID it created and deletes no other: the RFC kernel
/// dereferences NULL on an unknown id (cdq-protocol.md §6). Closing the
/// device does not release a queue or its pinned pages, so the owner must
/// delete its queues (`AttachedQueue.detach()`, which `deinit` also runs).
public final class KernelQueueBackend: QueueBackend, @unchecked Sendable {
    // @unchecked: `created` locks itself; the rest is immutable.
    public let controller: NVMeCharacterDevice
    public let transport: any AdminTransport
    private let created = CreatedQueueIDs()
    private let call: CDQIoctl.Call
    private let recorder: QueueRecorder?

    /// Opens `path`, which must be an NVMe controller character device.
    public convenience init(path: String) throws(QueueLifecycleError) {
        let device: NVMeCharacterDevice
        do { device = try NVMeCharacterDevice(path: path) } catch {
            switch error {
            case .open(_, let system): throw .create(error.description, errno: system.errno)
            case .notACharacterDevice, .notNVMe: throw .create(error.description, errno: ENODEV)
            }
        }
        try self.init(controller: device, call: CDQIoctl.system, records: QueueRecordStore(),
                      identify: { try? ControllerIdentity.identify(device) })
    }

    /// `records`: where a record of each created queue is kept (nil: none),
    /// tied to the controller `identify` names.
    init(
        controller: NVMeCharacterDevice, call: @escaping CDQIoctl.Call,
        records: QueueRecordStore? = nil, identify: @escaping () -> ControllerIdentity? = { nil }
    ) throws(QueueLifecycleError) {
        guard controller.kind == .controller else {
            throw .create(CDQIoctlError.notAController(controller.path).description, errno: ENODEV)
        }
        self.controller = controller
        self.call = call
        recorder = records.map { QueueRecorder(store: $0, device: controller.path, identify: identify) }
        transport = KernelTransport(controller: controller)
    }

    /// Why the record of a created queue could not be kept (then a SIGKILL
    /// leaves a queue `cdqctl cleanup` cannot find); nil when all were kept.
    public var recordProblem: String? { recorder?.problem }

    public var name: String { controller.path }

    /// CDQIDs created here and not yet deleted.
    public var createdQueues: Set<UInt16> { created.all }

    /// Physically contiguous memory: a controller given a PRP list logs nothing (§6).
    public func memoryPolicy(entries: UInt32) -> QueueMemory.Policy { .contiguous(entries: entries) }

    public func createQueue(memory: QueueMemory, cntlid: UInt16, eventFD: EventFD) throws(QueueLifecycleError) -> UInt16 {
        let cdqid: UInt16
        do {
            cdqid = try CDQIoctl.create(controller: controller, memory: memory.buffer, cntlid: cntlid, mos: 0,
                                        eventFD: eventFD.fileDescriptor, call: call)
        } catch {
            let why = Self.explain(error, path: controller.path, cntlid: cntlid)
            if let status = error.nvmeStatus {
                throw .refused(recorder?.hint(cntlid: cntlid).map { "\(why); \($0)" } ?? why, status)
            }
            throw .create(why, errno: Self.errno(of: error))
        }
        created.record(cdqid)
        recorder?.created(cdqid, cntlid: cntlid)
        return cdqid
    }

    public func deleteQueue(_ cdqid: UInt16) throws(QueueLifecycleError) {
        try created.delete(cdqid) { () throws(QueueLifecycleError) in
            do throws(CDQIoctlError) {
                try CDQIoctl.delete(controller: controller, cdqid: cdqid, call: call)
            } catch {
                if let status = error.nvmeStatus { throw .refused("\(controller.path): Delete CDQ \(cdqid): \(status)", status) }
                throw .delete(cdqid, error.description)
            }
        }
        recorder?.deleted(cdqid)
    }

    /// The errno a refusal stands for (QueueLifecycleError.create).
    static func errno(of error: CDQIoctlError) -> Int32 {
        switch error {
        case .kernelLacksIoctl: ENOTTY
        case .notAController: ENODEV
        case .nvme(let status) where status.matches(.invalidCommandOpcode): EOPNOTSUPP
        case .nvme: EIO
        case .system(let system): system.errno
        }
    }

    /// The refusal in the user's terms: what is missing, not just a code.
    static func explain(_ error: CDQIoctlError, path: String, cntlid: UInt16) -> String {
        switch error {
        case .kernelLacksIoctl, .notAController:
            return "\(path): \(error)"
        case .nvme(let status) where status.matches(.invalidCommandOpcode):
            return "\(path): \(error)"
        case .nvme(let status):
            return "\(path): Create CDQ for CNTLID \(cntlid) failed: \(status)"
        case .system(let system):
            return "\(path): \(system)"
        }
    }
}
