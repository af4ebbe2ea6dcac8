import CDQEngine
import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The simulated controller as a `QueueBackend`, so `AttachedQueue`, the
/// CLI and embedders run the same queue lifecycle against the simulator as
/// against `/dev/nvmeN`.
///
/// Create and Delete CDQ are executed directly (the analogue of the RFC
/// ioctl, which also waits for the command); everything else goes through
/// `transport`, the engine's asynchronous path into the controller thread.
/// Like the kernel backend it deletes only queues it created.
public final class SimulatedQueueBackend: QueueBackend, @unchecked Sendable {
    // @unchecked: `created` locks itself; the rest is immutable.
    public let subsystem: SimulatedSubsystem
    public let transport: any AdminTransport
    private let created = CreatedQueueIDs()

    /// `transport` must be the one the engine uses for this subsystem
    /// (one `SimulatorTransport` per engine loop: its channel is SPSC).
    public init(subsystem: SimulatedSubsystem, transport: SimulatorTransport) {
        self.subsystem = subsystem
        self.transport = transport
    }

    public var name: String { "simulator" }

    public var createdQueues: Set<UInt16> { created.all }

    /// The simulator reads any memory; ordinary pages are enough.
    public func memoryPolicy(entries: UInt32) -> QueueMemory.Policy { .pages(entries: entries) }

    public func createQueue(memory: QueueMemory, cntlid: UInt16, eventFD: EventFD) throws(QueueLifecycleError) -> UInt16 {
        let completion = subsystem.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: cntlid,
                                       sizeInDwords: memory.entryCount * 8, prp1: 0),
            data: memory.buffer, tailPointerEventFD: eventFD.fileDescriptor))
        guard completion.status.isSuccess else {
            throw .refused("simulator: Create CDQ for CNTLID \(cntlid) failed: \(completion.status)", completion.status)
        }
        let cdqid = UInt16(truncatingIfNeeded: completion.dw0)
        created.record(cdqid)
        return cdqid
    }

    public func deleteQueue(_ cdqid: UInt16) throws(QueueLifecycleError) {
        try created.delete(cdqid) { () throws(QueueLifecycleError) in
            let completion = subsystem.execute(AdminRequest(.controllerDataQueueDelete(cdqid: cdqid)))
            guard completion.status.isSuccess else {
                throw .refused("simulator: Delete CDQ \(cdqid): \(completion.status)", completion.status)
            }
        }
    }

    /// The simulated controller pins nothing: a queue it deleted itself
    /// (DUDMQ) is only forgotten, and its memory may be given back.
    public func queueDeletedByController(_ cdqid: UInt16) throws(QueueLifecycleError) {
        try created.forget(cdqid)
    }
}
