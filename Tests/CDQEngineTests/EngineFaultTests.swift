import Atomics
import CDQTestSupport
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The engine against what controllers and kernels really do (§6): events
/// lost or masked, head updates rejected.
@Suite struct EngineFaultTests {
    func writeAndCollect(_ fixture: EngineFixture, _ consumer: Consumer, from: Int, count: Int) -> [UInt64] {
        for lba in from..<from + count { _ = fixture.write(1, lba: UInt64(lba)) }
        return collect(consumer, count: count).map(\.entry.startingLBA)
    }

    /// A queue whose events are masked after the first delivery (§6),
    /// its FIRST record taken. Every entry is announced by an event
    /// (moderation would find them by deadline scans).
    func maskedQueue(watchdogIntervalNanoseconds: UInt64) throws -> (EngineFixture, Consumer, AttachedQueue) {
        let configuration = EngineConfiguration(watchdogIntervalNanoseconds: watchdogIntervalNanoseconds, trigger: .nextEntry)
        let fixture = try EngineFixture(controllers: 1, configuration: configuration)
        fixture.subsystem.faults.maskAfterFirstDelivery(true)
        let consumer = try Consumer()
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1)
        return (fixture, consumer, queue)
    }

    /// Writes `count` changes one at a time into a masked queue: each must
    /// still arrive, found by the watchdog.
    func expectMaskedChangesDelivered(_ fixture: EngineFixture, _ consumer: Consumer, _ queue: AttachedQueue, count: Int) {
        var delivered: [UInt64] = []
        for lba in 0..<count {
            // Write only once the engine has armed the trigger: the write
            // then fires it, and after the first delivery the mask drops it.
            #expect(waitUntilArmed(fixture.subsystem.controller(1)!))
            // ... and once the engine has handled that head update's completion
            // (its re-scan would otherwise find the entry without the watchdog).
            MonotonicClock.sleep(nanoseconds: 5_000_000)
            delivered += writeAndCollect(fixture, consumer, from: lba, count: 1)
        }
        #expect(delivered == (0..<count).map(UInt64.init))
        #expect(fixture.subsystem.faults.statistics.triggersDropped >= count - 1, "events really were lost")
        #expect((fixture.engine.statistics(of: queue.handle)?.watchdogScans ?? 0) > 0, "the watchdog found the entries")
    }

    @Test func maskedTriggersCostLatencyNotEntries() throws {
        let (fixture, consumer, queue) = try maskedQueue(watchdogIntervalNanoseconds: 2_000_000)
        expectMaskedChangesDelivered(fixture, consumer, queue, count: 10)
    }

    /// A loop kept busy by other work runs its watchdog in those turns
    /// (its timeout never needs to wake it): masked events still cost only
    /// latency while admin commands keep the loop turning every millisecond.
    @Test func aBusyLoopStillRunsItsWatchdog() throws {
        let (fixture, consumer, queue) = try maskedQueue(watchdogIntervalNanoseconds: 20_000_000)
        let stopping = ManagedAtomic<Bool>(false)
        let (engine, cdqid) = (fixture.engine, queue.cdqid)
        // Only handed on: the loop alone submits through it.
        nonisolated(unsafe) let transport = fixture.transport
        let busy = try OSThread(name: "test admin load") {
            while !stopping.load(ordering: .relaxed) {
                try? engine.submitAdmin(.getControllerDataQueue(cdqid: cdqid), via: transport) { _ in }
                MonotonicClock.sleep(nanoseconds: 1_000_000)
            }
        }
        defer { stopping.store(true, ordering: .relaxed); busy.join() }
        expectMaskedChangesDelivered(fixture, consumer, queue, count: 5)
    }

    @Test func droppedTriggersAreRecoveredByTheWatchdog() throws {
        let fixture = try EngineFixture(controllers: 1, configuration: EngineConfiguration(watchdogIntervalNanoseconds: 2_000_000))
        let consumer = try Consumer()
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1)
        fixture.subsystem.faults.dropNextTriggers(1_000)
        #expect(writeAndCollect(fixture, consumer, from: 0, count: 30) == (0..<30).map(UInt64.init))
    }

    @Test func rejectedHeadUpdatesAreReportedAndRetried() throws {
        let errors = Locked<[NVMeStatus]>([])
        let fixture = try EngineFixture(controllers: 1, configuration: EngineConfiguration(watchdogIntervalNanoseconds: 2_000_000)) { _, status in
            errors.withLock { $0.append(status) }
        }
        let consumer = try Consumer()
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1)
        fixture.subsystem.faults.failNextAdminCommands(5, with: .internalError)
        var delivered: [UInt64] = []
        for round in 0..<6 { delivered += writeAndCollect(fixture, consumer, from: round * 8, count: 8) }
        #expect(delivered == (0..<48).map(UInt64.init), "entries keep flowing while head updates fail")
        // Head updates run behind delivery: wait until they have used up the
        // injected failures (only they send admin commands meanwhile), then
        // until the controller's head caught up with the consumer.
        let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
        while fixture.subsystem.faults.statistics.adminCommandsFailed < 5 && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
        var head: UInt32 = 0
        while MonotonicClock.nanoseconds() < deadline {
            head = controllerHead(fixture, queue)
            if head == 49 { break }
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
        #expect(head == 49, "FIRST plus 48 entries handed back")
        #expect(fixture.subsystem.faults.statistics.adminCommandsFailed == 5)
        let statistics = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(statistics.adminErrors == 5)
        #expect(errors.withLock { $0.count } == 5)
        #expect(errors.withLock { $0.allSatisfy { $0 == .internalError } })
    }

    @Test func unregisterReturnsTheHeadAndForgetsTheQueue() throws {
        let fixture = try EngineFixture(controllers: 4)
        let consumer = try Consumer()
        for cntlid in 1...4 { try fixture.attach(cntlid: UInt16(cntlid), entries: 32, consumer: consumer) }
        _ = collect(consumer, count: 4)
        for cntlid in 1...4 { _ = fixture.write(UInt16(cntlid), lba: 1) }
        #expect(collect(consumer, count: 4).count == 4)
        let head = try fixture.engine.unregister(fixture.queues[0].handle)
        #expect(head == 2, "FIRST and one write read")
        #expect(throws: EngineError.unknownQueue) { try fixture.engine.unregister(fixture.queues[0].handle) }
        #expect(fixture.engine.statistics(of: fixture.queues[0].handle) == nil)
        #expect(fixture.engine.statistics.queues == 3)
        #expect(fixture.engine.statistics.totals.entries == 8, "a retired queue still counts in the totals")
    }

    @Test func aConsumerServesOneEngineOnly() throws {
        let fixture = try EngineFixture(controllers: 2)
        let consumer = try Consumer()
        try fixture.attach(cntlid: 1, entries: 32, consumer: consumer)
        let other = try Engine()
        defer { other.shutdown() }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 32 * 32, alignment: 4096)
        defer { memory.deallocate() }
        #expect(throws: EngineError.consumerOfAnotherEngine) {
            _ = try other.register(QueueRegistration(
                memory: memory, entryCount: 32, cdqid: 9, eventFD: try EventFD(), transport: fixture.transport, consumer: consumer))
        }
        #expect(other.statistics.queues == 0, "nothing was registered")
    }

    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors, so it runs alone: make test does that"))
    func shutdownReleasesEveryDescriptor() throws {
        let before = openDescriptors()
        do {
            let fixture = try EngineFixture(controllers: 4)
            let consumer = try Consumer()
            for cntlid in 1...4 { try fixture.attach(cntlid: UInt16(cntlid), entries: 32, consumer: consumer) }
            for cntlid in 1...4 { _ = fixture.write(UInt16(cntlid), lba: 1) }
            #expect(collect(consumer, count: 8).count == 8)
            try fixture.engine.unregister(fixture.queues[0].handle)
        }
        #expect(openDescriptors() == before)
    }

    @Test func aBusyQueueIsPolledAndAnIdleOneWaitsForEvents() throws {
        let policy = PollingPolicy(enterEntriesPerScan: 8, enterConsecutiveScans: 2, leaveEmptyScans: 50)
        let fixture = try EngineFixture(controllers: 1, configuration: EngineConfiguration(drainBatch: 16, polling: policy))
        let consumer = try Consumer(capacity: 8192)
        let queue = try fixture.attach(cntlid: 1, entries: 4096, consumer: consumer)
        // A steady stream: every scan finds a full batch waiting.
        let writer = WorkloadGenerator(target: fixture.subsystem.controller(1)!, nsid: 1, capacity: 1 << 16, lbaSize: 512,
                                       spec: WorkloadSpec(writesPerSecond: 200_000, storesData: false))
        try writer.start()
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        let until = MonotonicClock.nanoseconds() + 300_000_000
        while MonotonicClock.nanoseconds() < until { _ = consumer.pop(into: buffer) }
        writer.stop()
        let busy = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(busy.polls > 0, "the queue switched to polling: \(busy)")
        // Idle once the engine has delivered everything the writer made and
        // the controller knows it (on a loaded machine that takes a while).
        let controller = fixture.subsystem.controller(1)!
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while (controller.queueSnapshot?.outstanding ?? 0) > 0 && MonotonicClock.nanoseconds() < deadline {
            _ = consumer.pop(into: buffer)
        }
        while consumer.pop(into: buffer) > 0 {}
        #expect(controller.queueSnapshot?.outstanding == 0, "the engine caught up with the writer")
        // Polling ends after `leaveEmptyScans` empty polls; then the count stays.
        var idle = try #require(fixture.engine.statistics(of: queue.handle)).polls
        while MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 20_000_000)
            let now = try #require(fixture.engine.statistics(of: queue.handle)).polls
            if now == idle { break }
            idle = now
        }
        MonotonicClock.sleep(nanoseconds: 50_000_000)
        #expect(fixture.engine.statistics(of: queue.handle)?.polls == idle, "no more polling while idle")
        // Events work again.
        _ = fixture.write(1, lba: 9999)
        #expect(collect(consumer, count: 1).first?.entry.startingLBA == 9999)
    }
}

/// Waits until the controller's trigger is armed (the engine's head update
/// arrived); false after two seconds.
/// Waits until the controller's queue has room for `count` more entries
/// without filling (the engine handed enough back).
func waitForRoom(_ controller: SimulatedController, _ count: UInt32, timeoutNanoseconds: UInt64 = 5_000_000_000) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
    while MonotonicClock.nanoseconds() < deadline {
        if let queue = controller.queueSnapshot, queue.outstanding + count + 1 < queue.entryCount { return true }
        MonotonicClock.sleep(nanoseconds: 100_000)
    }
    return false
}

func waitUntilArmed(_ controller: SimulatedController) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
    while MonotonicClock.nanoseconds() < deadline {
        if controller.queueSnapshot?.triggerArmed == true { return true }
        MonotonicClock.sleep(nanoseconds: 200_000)
    }
    return false
}

func controllerHead(_ fixture: EngineFixture, _ queue: AttachedQueue) -> UInt32 {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
    defer { buffer.deallocate() }
    _ = fixture.control.execute(AdminRequest(.getControllerDataQueue(cdqid: queue.cdqid), data: buffer))
    return CDQFeatureData(buffer: UnsafeRawBufferPointer(buffer))?.head ?? UInt32.max
}
