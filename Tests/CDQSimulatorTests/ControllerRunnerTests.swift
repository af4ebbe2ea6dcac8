import CDQTestSupport
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ControllerRunnerTests {
    @Test func theControllerThreadServesBlockingCommands() throws {
        let host = try HostQueue(entries: 16)
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel()
        let create = channel.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 128, prp1: 0),
            data: host.memory, tailPointerEventFD: host.event.fileDescriptor))
        #expect(create.status == .success && create.dw0 == 1)
        #expect(channel.execute(AdminRequest(.trackSend(cdqid: 1, logging: .start))).status == .success)
        #expect(host.drain().map(\.entryStatus) == [.first])
        #expect(channel.execute(AdminRequest(.controllerDataQueueDelete(cdqid: 9))).status.matches(.invalidControllerDataQueue))
    }

    @Test func aBatchCompletesInOrderAfterOneDoorbell() throws {
        let host = try HostQueue(entries: 64)
        host.create()
        host.track(.start)
        for lba in 0..<40 { host.write(lba: UInt64(lba)) }
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel(depth: 32)
        for head in 1...32 {
            #expect(channel.submit(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: UInt32(head), tailPointerTrigger: nil)), tag: UInt64(head)))
        }
        #expect(!channel.submit(AdminRequest(.identify(.controller)), tag: 99), "depth bounds what is in flight")
        channel.ringDoorbell()
        var tags: [UInt64] = []
        while tags.count < 32 {
            channel.waitForCompletionEvent()
            channel.reap { tag, completion in
                #expect(completion.status == .success)
                tags.append(tag)
            }
        }
        #expect(tags == Array(1...32))
        #expect(channel.inFlight == 0)
        #expect(host.getFeature().1?.head == 32, "each head update ran, in order")
    }

    @Test func completionsWakeAnIOURingPoll() throws {
        let host = try HostQueue()
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel()
        let ring = try IOURing(RingConfiguration(entries: 8, bigEntries: false))
        try ring.nextSubmission().preparePollMultishot(fd: channel.completionEvent.fileDescriptor, UserData(kind: 1, index: 7))
        try ring.submit()
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { page.deallocate() }
        #expect(channel.submit(AdminRequest(.identify(.controller), data: page), tag: 5))
        channel.ringDoorbell()
        #expect(try ring.submitAndWait(timeoutNanoseconds: 5_000_000_000), "the completion eventfd became readable")
        var polled: [UserData] = []
        ring.forEachCompletion { polled.append($0.tag) }
        #expect(polled == [UserData(kind: 1, index: 7)])
        var completed: [UInt64] = []
        channel.reap { tag, completion in
            #expect(completion.status == .success)
            completed.append(tag)
        }
        #expect(completed == [5])
        #expect(IdentifyController(buffer: UnsafeRawBufferPointer(page))?.serialNumber == "CDQSIM0001")
    }

    @Test func manualModeRunsNothingUntilStepped() throws {
        let host = try HostQueue(entries: 16)
        let runner = try ControllerRunner(subsystem: host.subsystem, mode: .manual)
        let channel = try runner.openChannel()
        #expect(channel.submit(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 128, prp1: 0),
            data: host.memory), tag: 1))
        #expect(channel.submit(AdminRequest(.trackSend(cdqid: 1, logging: .start)), tag: 2))
        channel.ringDoorbell()
        #expect(channel.reap { _, _ in } == 0)
        #expect(host.subsystem.adminCommandsExecuted == 0)
        #expect(runner.step() == 2)
        var completions: [(UInt64, NVMeStatus)] = []
        channel.reap { completions.append(($0, $1.status)) }
        #expect(completions.map(\.0) == [1, 2])
        #expect(completions.allSatisfy { $0.1 == .success })
        #expect(runner.step() == 0)
    }

    @Test func aStalledControllerAnswersLate() throws {
        let host = try HostQueue()
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel()
        host.subsystem.faults.stall(forNanoseconds: 200_000_000)
        #expect(channel.submit(AdminRequest(.getFeatures(featureID: 0x21)), tag: 1))
        channel.ringDoorbell()
        usleep(50_000)
        #expect(channel.reap { _, _ in } == 0, "nothing is served during the stall")
        channel.waitForCompletionEvent()
        #expect(channel.reap { _, _ in } == 1)
    }

    @Test func theThreadDeliversDelayedTriggers() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        host.subsystem.faults.delayTriggers(byNanoseconds: 10_000_000)
        host.setHead(0, trigger: 2)
        host.write(lba: 0)
        var descriptor = pollfd(fd: host.event.fileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&descriptor, 1, 5000) == 1, "delivered by the controller thread, without a step()")
        #expect(try host.signals() == 1)
    }

    /// Counts the process's descriptors, so it must run alone: `make test`
    /// runs it in a second pass with CDQ_EXCLUSIVE_TESTS set and no parallelism.
    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors; make test runs it alone"))
    func stoppingReleasesEveryDescriptor() throws {
        let before = openDescriptors()
        do {
            let host = try HostQueue(entries: 16)
            let runner = try ControllerRunner(subsystem: host.subsystem)
            try runner.start()
            let channels = try (0..<4).map { _ in try runner.openChannel() }
            host.create()
            #expect(channels[0].execute(AdminRequest(.trackSend(cdqid: 1, logging: .start))).status == .success)
            runner.stop()
        }
        #expect(openDescriptors() == before)
    }

    /// A subsystem may outlive its runners (a test that starts a second
    /// one): each runner's descriptors go with it, under an admin cost too.
    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors; make test runs it alone"))
    func aRunnerReleasesEveryDescriptorWhileTheSubsystemStays() throws {
        let host = try HostQueue(entries: 16)
        let before = openDescriptors()
        for cost in [AdminCost.free, AdminCost(latencyNanoseconds: 10_000, serviceNanoseconds: 1_000)] {
            let runner = try ControllerRunner(subsystem: host.subsystem, adminCost: cost)
            try runner.start()
            _ = try runner.openChannel()
            runner.stop()
        }
        #expect(openDescriptors() == before)
    }
}
