import CDQNVMe
import CDQUring

/// A controller that can host CDQs for the engine: the kernel's
/// `/dev/nvmeN` through the RFC ioctl, or the simulated controller. The
/// queue lifecycle (`AttachedQueue`) is written once against this.
///
/// Creation and deletion are the only synchronous steps (the RFC ioctl
/// pins memory and waits for the command); everything else travels through
/// the engine's asynchronous admin path on `transport`.
public protocol QueueBackend: AnyObject {
    /// Where the queues live, for messages: "/dev/nvme0", "simulator".
    var name: String { get }
    /// The engine's admin path to this controller.
    var transport: any AdminTransport { get }
    /// The memory placement this controller needs for a queue of `entries`.
    func memoryPolicy(entries: UInt32) -> QueueMemory.Policy
    /// Creates a CDQ over `memory` for migratable controller `cntlid`,
    /// tail pointer events to `eventFD`; returns the CDQID.
    func createQueue(memory: QueueMemory, cntlid: UInt16, eventFD: EventFD) throws(QueueLifecycleError) -> UInt16
    /// Deletes a CDQ this backend created; refuses any other id.
    func deleteQueue(_ cdqid: UInt16) throws(QueueLifecycleError)
    /// The controller deleted a CDQ this backend created by itself (it
    /// accepted Migration Send suspend with DUDMQ): release what the host
    /// still holds for it. The default deletes it by `deleteQueue`, the
    /// only path that unpins memory on the kernel; when that fails the
    /// caller keeps the memory (the memory rule).
    func queueDeletedByController(_ cdqid: UInt16) throws(QueueLifecycleError)
}

extension QueueBackend {
    public func queueDeletedByController(_ cdqid: UInt16) throws(QueueLifecycleError) {
        try deleteQueue(cdqid)
    }
}

/// The CDQIDs a backend created and has not deleted yet. A backend deletes
/// only these: the RFC kernel dereferences NULL when asked to delete an id
/// it did not create (cdq-protocol.md §6), so the check belongs before the
/// call, in one place for every backend.
public final class CreatedQueueIDs: @unchecked Sendable {
    // @unchecked: the set is behind a lock.
    private let ids = Locked<Set<UInt16>>([])

    public init() {}

    /// The ids created and not yet deleted.
    public var all: Set<UInt16> { ids.withLock { $0 } }

    /// `cdqid` was created.
    public func record(_ cdqid: UInt16) {
        ids.withLock { _ = $0.insert(cdqid) }
    }

    /// Forgets a recorded id the controller deleted by itself; refuses any
    /// other id.
    public func forget(_ cdqid: UInt16) throws(QueueLifecycleError) {
        guard ids.withLock({ $0.remove(cdqid) != nil }) else { throw .unknownQueue(cdqid) }
    }

    /// Runs `delete` for a recorded id and forgets the id once it
    /// succeeded; refuses any other id without running it. The id is
    /// claimed while `delete` runs, so two callers cannot both delete it;
    /// a failed delete leaves it recorded (the queue may still exist).
    public func delete(_ cdqid: UInt16, _ delete: () throws(QueueLifecycleError) -> Void) throws(QueueLifecycleError) {
        guard ids.withLock({ $0.remove(cdqid) != nil }) else { throw .unknownQueue(cdqid) }
        do { try delete() } catch {
            record(cdqid)
            throw error
        }
    }
}

/// Why a step of a queue's life failed. Each case names the step, so a
/// user reads what was being attempted, not just a code.
public enum QueueLifecycleError: Error, Sendable, Equatable, CustomStringConvertible {
    case memory(QueueMemoryError)
    case eventFD(SystemError)
    /// The backend refused to create the queue: its explanation, and the
    /// errno that stands for it (ENOTTY: the kernel has no
    /// NVME_IOCTL_CDQ; EOPNOTSUPP: the controller has no CDQs; ENOENT,
    /// EACCES, ENODEV: the device; EIO: any other NVMe status).
    case create(String, errno: Int32)
    /// The controller refused Create or Delete CDQ: the explanation (which
    /// command, which controller) and the status it answered with, kept
    /// typed so callers can act on it (the CLI exits 1 and prints it).
    case refused(String, NVMeStatus)
    /// A CDQID this backend never created (deleting it could crash the RFC kernel).
    case unknownQueue(UInt16)
    case delete(UInt16, String)
    case engine(EngineError)
    /// An admin command (Track Send, Migration Send) failed.
    case admin(step: String, AdminCommandError)
    /// The LAST entry did not reach the consumer's ring in time.
    case lastEntryMissing(step: String)
    /// A step failed on purpose (failure-injection tests).
    case injected(String)

    public var description: String {
        switch self {
        case .memory(let error): "queue memory: \(error)"
        case .eventFD(let error): "eventfd: \(error)"
        case .create(let why, _): why
        case .refused(let why, _): why
        case .unknownQueue(let cdqid): "CDQID \(cdqid) was not created here; refusing to delete it"
        case .delete(let cdqid, let why): "deleting CDQID \(cdqid): \(why)"
        case .engine(let error): error.description
        case .admin(let step, let error): "\(step): \(error)"
        case .lastEntryMissing(let step): "\(step): the LAST entry did not arrive in time"
        case .injected(let step): "injected failure after \(step)"
        }
    }
}

extension QueueLifecycleError: CarriesNVMeStatus {
    public var nvmeStatus: NVMeStatus? {
        switch self {
        case .refused(_, let status): status
        case .admin(_, let error): error.nvmeStatus
        default: nil
        }
    }
}
