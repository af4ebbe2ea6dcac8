import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

/// Deleting queues that the record store knows, the way they were
/// created. The ioctl delete is reachable only through a record that says
/// the ioctl created the queue: the RFC kernel oopses on any other id
/// (cdq-protocol.md §6).
public enum RecordedQueues {
    /// Why a recorded queue was not deleted.
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        case ownerRunning(QueueRecord)
        case notMadeThroughIoctl(QueueRecord)

        public var description: String {
            switch self {
            case .ownerRunning(let record):
                "CDQID \(record.cdqid) belongs to process \(record.pid), which is still running; stop it (it deletes its own queue)"
            case .notMadeThroughIoctl(let record):
                "CDQID \(record.cdqid) was not created through NVME_IOCTL_CDQ; it is deleted through admin passthrough"
            }
        }
    }

    /// Deletes `record`'s queue through `NVME_IOCTL_CDQ` and removes the
    /// record; refuses a queue whose owner still runs.
    public static func deleteThroughIoctl(
        _ record: QueueRecord, on device: NVMeCharacterDevice, store: QueueRecordStore,
        isAlive: (Int32) -> Bool = OrphanCleanup.processIsAlive
    ) throws {
        guard record.createdThroughIoctl else { throw Refusal.notMadeThroughIoctl(record) }
        guard record.pid == getpid() || !isAlive(record.pid) else { throw Refusal.ownerRunning(record) }
        try CDQIoctl.delete(controller: device, cdqid: record.cdqid, call: CDQIoctl.system)
        store.remove(record)
    }
}

extension OrphanCleanup.Actions {
    /// The real controller: Track Send stop and Delete CDQ over `admin`,
    /// the ioctl delete on its device.
    public static func controller(_ admin: NVMePassthrough) -> OrphanCleanup.Actions {
        OrphanCleanup.Actions(
            stopLogging: { cdqid in _ = try admin.execute(.trackSend(cdqid: cdqid, logging: .stop)) },
            deleteThroughIoctl: { cdqid in try CDQIoctl.delete(controller: admin.device, cdqid: cdqid, call: CDQIoctl.system) },
            deleteThroughPassthrough: { cdqid in _ = try admin.execute(.controllerDataQueueDelete(cdqid: cdqid)) })
    }
}
