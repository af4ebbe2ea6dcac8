@testable import CDQEngine
@testable import CDQKernel
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kernel backend writes a record of every queue it creates and
/// removes it with the queue; a create the controller refuses names the
/// dead owner's queue that is in the way, and how to clean it up.
@Suite struct KernelQueueRecordTests {
    static let identity = ControllerIdentity(serial: "CDQTEST0001", cntlid: 0)

    func withBackend(_ body: (KernelQueueBackend, KernelQueueBackendTests.FakeIoctl, QueueRecordStore) throws -> Void) throws {
        let tree = FileTree("backend-records")
        let store = QueueRecordStore(root: tree.path("run"))
        let fake = KernelQueueBackendTests.FakeIoctl()
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(fd) }
        let device = NVMeCharacterDevice(unverifiedFileDescriptor: fd, kind: .controller, path: "/dev/nvme0")
        let backend = try KernelQueueBackend(controller: device, call: fake.call, records: store, identify: { Self.identity })
        try withExtendedLifetime(tree) { try body(backend, fake, store) }
    }

    @Test func aCreatedQueueIsRecordedUntilItIsDeleted() throws {
        try withBackend { backend, _, store in
            let memory = try QueueMemory.allocate(.contiguous(entries: 128))
            let cdqid = try backend.createQueue(memory: memory, cntlid: 2, eventFD: try EventFD())
            let records = store.records(on: Self.identity)
            #expect(records == [QueueRecord(pid: getpid(), cdqid: cdqid, cntlid: 2, createdThroughIoctl: true,
                                            controller: Self.identity, device: "/dev/nvme0")])
            #expect(backend.recordProblem == nil)
            try backend.deleteQueue(cdqid)
            #expect(store.records(on: Self.identity).isEmpty)
        }
    }

    @Test func aRefusedCreateNamesTheDeadOwnersQueueAndTheCleanup() throws {
        try withBackend { backend, fake, store in
            // A watch killed with SIGKILL: its record stays, its process is gone.
            var dead: pid_t = 0
            repeat { dead = Int32.random(in: 4_000_000...4_100_000) } while kill(dead, 0) == 0 || errno != ESRCH
            try store.write(QueueRecord(pid: dead, cdqid: 1, cntlid: 2, createdThroughIoctl: true,
                                        controller: Self.identity, device: "/dev/nvme0"))
            fake.answer.withLock { $0 = (0x0002, 0) }
            let memory = try QueueMemory.allocate(.contiguous(entries: 128))
            #expect {
                _ = try backend.createQueue(memory: memory, cntlid: 2, eventFD: try EventFD())
            } throws: { error in
                guard case QueueLifecycleError.refused(let text, let status) = error else { return false }
                return status.matches(.invalidFieldInCommand) && text.contains("CDQID 1 (process \(dead), gone)")
                    && text.contains("cdqctl cleanup /dev/nvme0")
            }
        }
    }
}
