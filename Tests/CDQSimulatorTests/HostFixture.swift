import CCDQ
import CDQNVMe
import CDQSimulator
import CDQUring

/// The host side of one CDQ, as a test drives it: zeroed queue memory, an
/// eventfd for the trigger, and a reader that finds new entries by phase tag.
final class HostQueue {
    let subsystem: SimulatedSubsystem
    let memory: UnsafeMutableRawBufferPointer
    let entries: UInt32
    let event: EventFD
    let cntlid: UInt16
    private(set) var cdqid: UInt16 = 0
    /// The host's read position and the phase it expects there.
    private(set) var readIndex: UInt32 = 0
    private var expectedPhase = true
    private let writeBuffer: UnsafeMutableRawBufferPointer

    init(entries: UInt32 = 8, controllers: Int = 2, cntlid: UInt16 = 1, capacity: UInt64 = 1 << 16) throws {
        subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: controllers, namespaceCapacity: capacity, lbaSize: 512, backing: .memory))
        self.entries = entries
        self.cntlid = cntlid
        memory = .allocate(byteCount: Int(entries) * 32, alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        writeBuffer = .allocate(byteCount: 512 * 256, alignment: 4096)
        writeBuffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        event = try EventFD()
    }

    deinit {
        memory.deallocate()
        writeBuffer.deallocate()
    }

    func admin(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, eventFD: Int32 = -1) -> AdminCompletion {
        subsystem.execute(AdminRequest(command, data: data, tailPointerEventFD: eventFD))
    }

    @discardableResult
    func create() -> AdminCompletion {
        let completion = admin(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: cntlid, sizeInDwords: entries * 8, prp1: 0),
            data: memory, eventFD: event.fileDescriptor)
        cdqid = UInt16(truncatingIfNeeded: completion.dw0)
        return completion
    }

    @discardableResult
    func track(_ logging: LoggingAction) -> AdminCompletion { admin(.trackSend(cdqid: cdqid, logging: logging)) }

    @discardableResult
    func setHead(_ head: UInt32, trigger: UInt32? = nil) -> AdminCompletion {
        admin(.setControllerDataQueue(cdqid: cdqid, head: head, tailPointerTrigger: trigger))
    }

    func getFeature() -> (AdminCompletion, CDQFeatureData?) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buffer.deallocate() }
        let completion = admin(.getControllerDataQueue(cdqid: cdqid), data: buffer)
        return (completion, CDQFeatureData(buffer: UnsafeRawBufferPointer(buffer)))
    }

    @discardableResult
    func write(lba: UInt64, blocks: UInt32 = 1, controller: UInt16? = nil) -> NVMeStatus {
        let id = controller ?? cntlid
        return subsystem.controller(id)!.write(
            nsid: UInt32(id), startingLBA: lba, blockCount: blocks,
            data: UnsafeRawBufferPointer(rebasing: writeBuffer[0..<Int(blocks) * 512]))
    }

    /// The raw entry in slot `index`, phase byte read with acquire ordering.
    func entry(at index: UInt32) -> MigrationQueueEntry {
        let slot = memory.baseAddress! + Int(index) * 32
        _ = cdq_load_acquire_u8((slot + 31).assumingMemoryBound(to: UInt8.self))
        return MigrationQueueEntry(bytes: slot)
    }

    /// New entries since the last call, found by phase tag (§3, §4).
    func drain() -> [MigrationQueueEntry] {
        var found: [MigrationQueueEntry] = []
        while true {
            // Decide on the phase byte loaded with acquire, and only then read
            // the other 31 bytes: deciding on a plain re-read of the phase
            // could accept an entry whose other bytes were read before the
            // controller finished writing them.
            let slot = memory.baseAddress! + Int(readIndex) * 32
            let attributes = cdq_load_acquire_u8((slot + 31).assumingMemoryBound(to: UInt8.self))
            guard (attributes & 1 == 1) == expectedPhase else { return found }
            found.append(MigrationQueueEntry(bytes: slot))
            readIndex = (readIndex + 1) % entries
            if readIndex == 0 { expectedPhase.toggle() }
        }
    }

    /// Drains, then hands the consumed slots back with the trigger re-armed.
    func consume(trigger: UInt32? = nil) -> [MigrationQueueEntry] {
        let found = drain()
        _ = setHead(readIndex, trigger: trigger)
        return found
    }

    /// Signals seen on the eventfd since the last call.
    func signals() throws -> UInt64 { try event.drain() }

    var snapshot: [UInt8] { Array(memory) }
}
