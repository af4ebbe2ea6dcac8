@testable import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The generic queue lifecycle (`AttachedQueue`) on the simulated backend:
/// the same code path the kernel backend runs on `/dev/nvmeN`.
@Suite struct AttachedQueueTests {
    /// An engine and a simulator whose Track Send and suspend travel
    /// through the engine's admin path.
    final class Host {
        let fixture: EngineFixture
        let backend: SimulatedQueueBackend

        init(controllers: Int = 2) throws {
            fixture = try EngineFixture(controllers: controllers)
            backend = SimulatedQueueBackend(subsystem: fixture.subsystem, transport: fixture.transport)
        }

        func attach(_ cntlid: UInt16, entries: UInt32 = 64, consumer: Consumer, failingAfter step: AttachedQueue.Step? = nil) throws -> AttachedQueue {
            try AttachedQueue(engine: fixture.engine, backend: backend, consumer: consumer, cntlid: cntlid,
                              entries: entries, startLogging: true, failingAfter: step)
        }

        /// Nothing of a queue is left anywhere.
        var leftNothing: Bool {
            fixture.subsystem.queueIDs.isEmpty && backend.createdQueues.isEmpty && fixture.engine.statistics.queues == 0
        }
    }

    @Test func attachLogsThroughTheEngineAndStopDrainsToLast() throws {
        let host = try Host()
        let consumer = try Consumer()
        let queue = try host.attach(1, consumer: consumer)
        #expect(host.fixture.subsystem.controller(1)!.queueSnapshot?.logging == true, "Track Send start went through the engine")
        for lba in 0..<30 { #expect(host.fixture.write(1, lba: UInt64(lba)) == .success) }
        try queue.stopLoggingAndDetach()
        let records = collect(consumer, count: 32)
        #expect(records.map(\.entry.entryStatus).first == .first)
        #expect(records.map(\.entry.entryStatus).last == .lastLoggingStopped)
        #expect(records.filter { $0.entry.entryStatus == .middle }.map(\.entry.startingLBA) == (0..<30).map(UInt64.init))
        #expect(host.leftNothing)
    }

    @Test func suspendDeliversLastSuspendedAndDeletesTheQueueItCreated() throws {
        let host = try Host()
        let consumer = try Consumer()
        let queue = try host.attach(2, consumer: consumer)
        for lba in 0..<5 { _ = host.fixture.write(2, lba: UInt64(lba)) }
        try queue.suspendAndDetach()
        let records = collect(consumer, count: 7)
        #expect(records.count == 7)
        #expect(records.last?.entry.entryStatus == .lastControllerSuspended)
        #expect(host.fixture.subsystem.controller(2)!.isSuspended)
        #expect(host.leftNothing)
    }

    @Test func theControllersHeadFollowsTheConsumerThroughGetFeatures() throws {
        let host = try Host()
        let consumer = try Consumer()
        let queue = try host.attach(1, entries: 32, consumer: consumer)
        // Two bursts of 20, each smaller than the queue, the second after
        // the controller learnt the first was consumed: no overflow, one wrap.
        func controllerHead(reaches expected: UInt32) throws -> UInt32 {
            let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
            var head = try queue.controllerView().head
            while head != expected && MonotonicClock.nanoseconds() < deadline {
                MonotonicClock.sleep(nanoseconds: 1_000_000)
                head = try queue.controllerView().head
            }
            return head
        }
        for lba in 0..<20 { _ = host.fixture.write(1, lba: UInt64(lba)) }
        #expect(collect(consumer, count: 21).count == 21, "FIRST and 20 changes")
        #expect(try controllerHead(reaches: 21) == 21, "the head the engine sent is the controller's")
        for lba in 20..<40 { _ = host.fixture.write(1, lba: UInt64(lba)) }
        #expect(collect(consumer, count: 20).count == 20)
        #expect(try controllerHead(reaches: 41 % 32) == 41 % 32, "and again after the wrap")
        try queue.stopLoggingAndDetach()
    }

    @Test func theControllerStateIsReceivedAfterTheSuspend() throws {
        let host = try Host()
        let consumer = try Consumer()
        let queue = try host.attach(2, consumer: consumer)
        let state = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { state.deallocate() }
        #expect(throws: QueueLifecycleError.self, "refused while the controller runs") { try queue.receiveControllerState(into: state) }
        try queue.suspendAndDetach()
        try queue.receiveControllerState(into: state)
        #expect(ControllerStateHeader(buffer: UnsafeRawBufferPointer(state))?.isSuspended == true)
    }

    @Test func aSuspendTheControllerRejectsIsReportedAndTheQueueIsStillDeleted() throws {
        let host = try Host()
        let consumer = try Consumer()
        let queue = try host.attach(1, consumer: consumer)
        host.fixture.subsystem.faults.failNextAdminCommands(1, with: .commandSequenceError, opcode: AdminOpcode.migrationSend.rawValue)
        #expect(throws: QueueLifecycleError.admin(step: "Migration Send suspend", .nvme(.commandSequenceError))) {
            try queue.suspendAndDetach()
        }
        #expect(!host.fixture.subsystem.controller(1)!.isSuspended, "the source keeps running")
        #expect(host.leftNothing)
    }

    @Test func aCreateOrTrackSendTheControllerRejectsUnwindsTheAttach() throws {
        let host = try Host()
        let consumer = try Consumer()
        host.fixture.subsystem.faults.failNextAdminCommands(1, with: .invalidFieldInCommand)
        #expect(throws: QueueLifecycleError.refused("simulator: Create CDQ for CNTLID 1 failed: \(NVMeStatus.invalidFieldInCommand)", .invalidFieldInCommand)) {
            _ = try host.attach(1, consumer: consumer)
        }
        #expect(host.leftNothing)
        let failing = TrackSendFails(host.backend)
        #expect(throws: QueueLifecycleError.admin(step: "Track Send start", .nvme(.invalidFieldInCommand))) {
            _ = try AttachedQueue(engine: host.fixture.engine, backend: failing, consumer: consumer, cntlid: 1, entries: 64)
        }
        #expect(host.leftNothing)
    }

    @Test func aBackendDeletesOnlyQueuesItCreated() throws {
        let host = try Host()
        #expect(throws: QueueLifecycleError.unknownQueue(7)) { try host.backend.deleteQueue(7) }
        #expect(QueueLifecycleError.unknownQueue(7).description == "CDQID 7 was not created here; refusing to delete it")
    }

    @Test func adminCommandsTravelThroughTheEngineWithTheirData() throws {
        let host = try Host()
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { data.deallocate() }
        let outcome = try host.fixture.engine.executeAdmin(.identify(.controller), data: data, via: host.fixture.transport)
        #expect(outcome.isSuccess)
        #expect(IdentifyController(buffer: UnsafeRawBufferPointer(data))?.serialNumber == host.fixture.subsystem.configuration.serialNumber)
        let rejected = try host.fixture.engine.executeAdmin(.trackSend(cdqid: 99, logging: .start), via: host.fixture.transport)
        #expect(!rejected.isSuccess)
        #expect(rejected.description.hasPrefix("Invalid Controller Data Queue"))
    }

    @Test func adminCommandsAfterShutdownAreRefused() throws {
        let host = try Host()
        host.fixture.engine.shutdown()
        #expect(throws: EngineError.stopped) { _ = try host.fixture.engine.executeAdmin(.trackSend(cdqid: 1, logging: .stop), via: host.fixture.transport) }
    }

    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors, so it runs alone: make test does that"),
          arguments: [AttachedQueue.Step.memory, .eventFD, .create, .register, .trackSend])
    func aFailedAttachReleasesEveryDescriptor(after step: AttachedQueue.Step) throws {
        let host = try Host()
        let consumer = try Consumer()
        // Warm up: the first attach allocates the engine's per-consumer state.
        let baseline = openDescriptors()
        try host.attach(1, consumer: consumer).stopLoggingAndDetach()
        let descriptors = openDescriptors(settlingAt: baseline), mappings = mappedRegions()
        #expect(throws: QueueLifecycleError.injected(step.rawValue)) { _ = try host.attach(2, consumer: consumer, failingAfter: step) }
        #expect(openDescriptors(settlingAt: descriptors) == descriptors, "no eventfd left open after \(step)")
        #expect(mappedRegions() == mappings, "no queue memory left mapped after \(step)")
        #expect(host.leftNothing, "no queue left on the controller or the engine after \(step)")
    }
}

/// The simulated backend passed through, without its own
/// `queueDeletedByController`: the protocol's default, as the kernel
/// backend has it. Subclasses change one step.
class ForwardsToSimulator: QueueBackend {
    let inner: SimulatedQueueBackend
    init(_ inner: SimulatedQueueBackend) { self.inner = inner }
    var name: String { inner.name }
    var transport: any AdminTransport { inner.transport }
    func memoryPolicy(entries: UInt32) -> QueueMemory.Policy { inner.memoryPolicy(entries: entries) }
    func createQueue(memory: QueueMemory, cntlid: UInt16, eventFD: EventFD) throws(QueueLifecycleError) -> UInt16 {
        try inner.createQueue(memory: memory, cntlid: cntlid, eventFD: eventFD)
    }
    func deleteQueue(_ cdqid: UInt16) throws(QueueLifecycleError) { try inner.deleteQueue(cdqid) }
}

/// The simulated backend, with the controller refusing the command that
/// follows each Create CDQ (Track Send start).
final class TrackSendFails: ForwardsToSimulator {
    override func createQueue(memory: QueueMemory, cntlid: UInt16, eventFD: EventFD) throws(QueueLifecycleError) -> UInt16 {
        let cdqid = try inner.createQueue(memory: memory, cntlid: cntlid, eventFD: eventFD)
        inner.subsystem.faults.failNextAdminCommands(1, with: .invalidFieldInCommand, opcode: AdminOpcode.trackSend.rawValue)
        return cdqid
    }
}

/// Queue memory: placement, size and the reason given.
@Suite struct QueueMemoryTests {
    @Test func aSmallQueueGetsOneZeroedAlignedPage() throws {
        let memory = try QueueMemory.allocate(.contiguous(entries: 64))
        #expect(memory.placement == .singlePage)
        #expect(memory.entryCount == 64)
        #expect(memory.buffer.count == 64 * 32)
        #expect(UInt(bitPattern: memory.buffer.baseAddress) % UInt(QueueMemory.pageSize) == 0)
        #expect(memory.buffer.allSatisfy { $0 == 0 }, "every phase tag starts at 0")
    }

    @Test func aLargeQueueGetsAHugepageOrSaysWhyNot() throws {
        let memory = try QueueMemory.allocate(.contiguous(entries: 4096))
        switch memory.placement {
        case .hugePage:
            #expect(memory.entryCount == 4096)
            #expect(UInt(bitPattern: memory.buffer.baseAddress) % UInt(QueueMemory.hugePageSize) == 0)
        case .singlePage:
            #expect(memory.entryCount == UInt32(QueueMemory.pageSize / 32))
            #expect(memory.reason.contains("no 2 MiB hugepage"))
            #expect(memory.reason.contains("nr_hugepages"))
        case .pages:
            Issue.record("contiguous memory must never be ordinary pages")
        }
    }

    @Test func anExplicitHugepageNeverFallsBackSilently() {
        do {
            let memory = try QueueMemory.allocate(.hugePage(entries: 65_536))
            #expect(memory.placement == .hugePage)
            #expect(memory.buffer.count == 2 << 20)
        } catch {
            #expect(error.description.contains("nr_hugepages"))
        }
    }

    @Test func entryCountsOutsideTheProtocolAreRefused() {
        #expect(throws: QueueMemoryError.badEntryCount(1, maximum: 65_536)) { _ = try QueueMemory.allocate(.contiguous(entries: 1)) }
        #expect(throws: QueueMemoryError.badEntryCount(70_000, maximum: 65_536)) { _ = try QueueMemory.allocate(.contiguous(entries: 70_000)) }
        #expect(QueueMemoryError.badEntryCount(1, maximum: 65_536).description == "a CDQ holds 2 to 65536 entries here, not 1")
    }

    @Test func ordinaryPagesHoldAnySize() throws {
        let memory = try QueueMemory.allocate(.pages(entries: 1000))
        #expect(memory.placement == .pages)
        #expect(memory.buffer.count == 32_000)
    }
}
