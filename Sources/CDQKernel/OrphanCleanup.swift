#if canImport(Glibc)
import Glibc
#endif

/// Finds and deletes the CDQs that dead processes left on a controller
/// (`cdqctl cleanup`). A SIGKILL cannot be handled, and the RFC kernel
/// does no cleanup when the creating process dies (cdq-protocol.md §6b),
/// so the queue keeps logging into pinned pages until someone deletes it.
///
/// A record is acted on only when the store found it sound (owner,
/// mode, no symlink), it names this controller (serial and CNTLID from
/// Identify), and its process is gone. The queue is then stopped (Track
/// Send stop) and deleted the way it was created: through the ioctl only
/// when the record says the ioctl created it, so that the kernel unpins
/// its pages; never an id the kernel may not know, which would oops it.
public struct OrphanCleanup {
    /// What cleanup does to the controller, replaceable in tests.
    public struct Actions {
        public var isAlive: (Int32) -> Bool
        /// Track Send stop of a CDQID; throws the controller's refusal.
        public var stopLogging: (UInt16) throws -> Void
        public var deleteThroughIoctl: (UInt16) throws -> Void
        public var deleteThroughPassthrough: (UInt16) throws -> Void

        public init(
            isAlive: @escaping (Int32) -> Bool = OrphanCleanup.processIsAlive,
            stopLogging: @escaping (UInt16) throws -> Void,
            deleteThroughIoctl: @escaping (UInt16) throws -> Void,
            deleteThroughPassthrough: @escaping (UInt16) throws -> Void
        ) {
            self.isAlive = isAlive
            self.stopLogging = stopLogging
            self.deleteThroughIoctl = deleteThroughIoctl
            self.deleteThroughPassthrough = deleteThroughPassthrough
        }
    }

    /// What happened to one record.
    public enum Outcome: Sendable, Equatable {
        /// Stopped and deleted; the record removed.
        case deleted(QueueRecord, through: String)
        /// Its process still runs: not an orphan.
        case ownerAlive(QueueRecord)
        /// Not acted on, and why (a forged, damaged or symlinked record,
        /// or a queue the controller no longer has).
        case refused(name: String, reason: String)
        /// Stopping or deleting failed; the record is kept.
        case failed(QueueRecord, reason: String)
    }

    public let store: QueueRecordStore
    public let controller: ControllerIdentity

    public init(store: QueueRecordStore, controller: ControllerIdentity) {
        self.store = store
        self.controller = controller
    }

    /// Cleans up every orphan of `controller`; other controllers' records are left alone.
    public func run(_ actions: Actions) throws -> [Outcome] {
        try store.entries().compactMap { entry -> Outcome? in
            guard let record = entry.record else { return .refused(name: entry.name, reason: entry.problem ?? "unusable") }
            guard record.controller == controller else { return nil }
            guard !actions.isAlive(record.pid) else { return .ownerAlive(record) }
            return clean(record, actions)
        }
    }

    private func clean(_ record: QueueRecord, _ actions: Actions) -> Outcome {
        do { try actions.stopLogging(record.cdqid) } catch {
            // The controller has no such queue: the kernel may have no entry
            // either, and an ioctl delete of an unknown id oopses it.
            return .refused(name: record.fileName, reason: "Track Send stop of CDQID \(record.cdqid) failed (\(error)); "
                + "not deleting it. If the controller has no such queue any more, remove \(store.root)/\(record.fileName)")
        }
        do {
            if record.createdThroughIoctl { try actions.deleteThroughIoctl(record.cdqid) } else { try actions.deleteThroughPassthrough(record.cdqid) }
        } catch {
            return .failed(record, reason: "deleting CDQID \(record.cdqid) failed: \(error)")
        }
        store.remove(record)
        return .deleted(record, through: record.createdThroughIoctl ? "NVME_IOCTL_CDQ" : "admin passthrough")
    }

    /// `kill(pid, 0)`: ESRCH means no such process; EPERM means it exists.
    public static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// For an attach that the controller refused: the dead owners' queues
    /// for `cntlid` on this controller, and how to clean them up.
    public static func hint(store: QueueRecordStore, controller: ControllerIdentity, cntlid: UInt16, device: String,
                            isAlive: (Int32) -> Bool = processIsAlive) -> String? {
        let orphans = store.records(on: controller).filter { $0.cntlid == cntlid && !isAlive($0.pid) }
        guard !orphans.isEmpty else { return nil }
        let list = orphans.map { "CDQID \($0.cdqid) (process \($0.pid), gone)" }.joined(separator: ", ")
        return "a queue for CNTLID \(cntlid) was left by a process that died: \(list). "
            + "`cdqctl cleanup \(device)` stops its logging and deletes it"
    }
}
