import CDQKernel

#if canImport(Glibc)
import Glibc
#endif

/// The record of a queue `create-cdq` made, for `delete-cdq` and `cleanup`
/// (the process that made it exits at once, so its queue is an orphan from
/// the start). A record that cannot be written is mentioned, not fatal.
func recordCreated(_ cdqid: UInt16, cntlid: UInt16, device path: String, throughIoctl: Bool) {
    do {
        let device = try NVMeCharacterDevice(path: path)
        let identity = try ControllerIdentity.identify(device)
        try QueueRecordStore().write(QueueRecord(pid: getpid(), cdqid: cdqid, cntlid: cntlid, createdThroughIoctl: throughIoctl,
                                                 controller: identity, device: path))
    } catch {
        note("no record of CDQID \(cdqid) kept (\(error)); `cdqctl cleanup` will not know it", verb: "create-cdq")
    }
}

/// Deletes `cdqid` the way its record says it was created: through the
/// ioctl only with a record saying so, otherwise through passthrough.
/// Returns which.
func deleteQueue(_ cdqid: UInt16, device path: String) throws -> String {
    let admin = try openAdmin(path)
    let store = QueueRecordStore()
    let record = (try? ControllerIdentity.identify(admin.device)).flatMap { identity in
        store.records(on: identity).first { $0.cdqid == cdqid }
    }
    if let record, record.createdThroughIoctl {
        try RecordedQueues.deleteThroughIoctl(record, on: admin.device, store: store)
        return "NVME_IOCTL_CDQ"
    }
    _ = try admin.execute(.controllerDataQueueDelete(cdqid: cdqid))
    if let record { store.remove(record) }
    return "admin passthrough"
}
