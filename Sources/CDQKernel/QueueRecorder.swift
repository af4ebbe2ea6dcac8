import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The queue records (`QueueRecordStore`) a `KernelQueueBackend` keeps: one
/// per queue it created, written after the create and removed after the
/// delete, so that a queue this process leaves behind when it is killed
/// can be found and deleted by `cdqctl cleanup`.
///
/// A record that cannot be written (no root, a read-only /run) does not
/// stop the queue; `problem` says why, for the tool to mention.
final class QueueRecorder: @unchecked Sendable {
    // @unchecked: mutable state is behind the lock.
    let store: QueueRecordStore
    let device: String
    private let identify: () -> ControllerIdentity?
    private struct State {
        var identity: ControllerIdentity??
        var records: [UInt16: QueueRecord] = [:]
        var problem: String?
    }
    private let state = Locked(State())

    init(store: QueueRecordStore, device: String, identify: @escaping () -> ControllerIdentity?) {
        self.store = store
        self.device = device
        self.identify = identify
    }

    /// The controller's identity, looked up once.
    var identity: ControllerIdentity? {
        if let known = state.withLock({ $0.identity }) { return known }
        let found = identify()
        state.withLock { $0.identity = .some(found) }
        return found
    }

    var problem: String? { state.withLock { $0.problem } }

    func created(_ cdqid: UInt16, cntlid: UInt16) {
        guard let identity else { return note("\(device): no record of CDQID \(cdqid) kept (Identify Controller failed)") }
        let record = QueueRecord(pid: getpid(), cdqid: cdqid, cntlid: cntlid, createdThroughIoctl: true,
                                 controller: identity, device: device)
        do { try store.write(record) } catch { return note("no record of CDQID \(cdqid) kept: \(error)") }
        state.withLock { $0.records[cdqid] = record }
    }

    func deleted(_ cdqid: UInt16) {
        guard let record = state.withLock({ $0.records.removeValue(forKey: cdqid) }) else { return }
        store.remove(record)
    }

    /// After the controller refused a create: a dead owner's queue for `cntlid`, and how to clean it up.
    func hint(cntlid: UInt16) -> String? {
        guard let identity else { return nil }
        return OrphanCleanup.hint(store: store, controller: identity, cntlid: cntlid, device: device)
    }

    private func note(_ problem: String) {
        state.withLock { $0.problem = problem }
    }
}
