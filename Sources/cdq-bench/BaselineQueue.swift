import CDQNVMe
import CDQSimulator
import CDQUring

/// A queue set up for the baseline exactly as `AttachedQueue` sets one up
/// for the engine over `SimulatedQueueBackend`: zeroed page-aligned memory,
/// an eventfd, Create CDQ run directly on the subsystem (the analogue of the
/// RFC ioctl, outside the admin cost model, as for the engine); Track Send
/// goes through the admin queue (`BaselineSide`). Nothing is registered
/// anywhere: a baseline thread reads the memory itself.
final class BaselineQueue {
    let cntlid: UInt16
    let cdqid: UInt16
    let entryCount: UInt32
    let memory: UnsafeMutableRawBufferPointer
    let eventFD: EventFD
    private let subsystem: SimulatedSubsystem
    private var deleted = false

    init(subsystem: SimulatedSubsystem, cntlid: UInt16, entries: UInt32) throws {
        self.subsystem = subsystem
        self.cntlid = cntlid
        entryCount = entries
        memory = .allocate(byteCount: Int(entries) * MigrationQueueEntry.size, alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        eventFD = try EventFD()
        let created = subsystem.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: cntlid,
                                       sizeInDwords: entries * 8, prp1: 0),
            data: memory, tailPointerEventFD: eventFD.fileDescriptor))
        guard created.status.isSuccess else {
            memory.deallocate()
            throw BenchError("Create CDQ for controller \(cntlid): \(created.status)")
        }
        cdqid = UInt16(truncatingIfNeeded: created.dw0)
    }

    deinit { delete() }

    func trackSend(_ logging: LoggingAction) -> AdminRequest {
        AdminRequest(.trackSend(cdqid: cdqid, logging: logging))
    }

    /// Deletes the CDQ on the controller, then frees its memory.
    func delete() {
        guard !deleted else { return }
        deleted = true
        _ = subsystem.execute(AdminRequest(.controllerDataQueueDelete(cdqid: cdqid)))
        memory.deallocate()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
