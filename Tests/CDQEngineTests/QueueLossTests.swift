import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Testing

/// A controller that forgets a queue, resets, or stops answering: the
/// consumer gets one `.queueLost` record in bounded time, the loss is
/// counted and reported, and the engine stops touching the queue.
@Suite struct QueueLossTests {
    static let configuration: EngineConfiguration = {
        var configuration = EngineConfiguration(watchdogIntervalNanoseconds: 5_000_000)
        configuration.adminTimeoutNanoseconds = 200_000_000
        configuration.livenessProbeNanoseconds = 20_000_000
        return configuration
    }()

    func waitForLoss(_ consumer: Consumer) -> [CDQRecord] {
        var records: [CDQRecord] = []
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while !records.contains(where: { $0.kind == .queueLost }) && MonotonicClock.nanoseconds() < deadline {
            records += collect(consumer, count: 1, timeoutNanoseconds: 50_000_000)
        }
        return records
    }

    @Test(arguments: ["deleted by the controller", "controller reset"])
    func aQueueTheControllerForgotIsLost(_ how: String) throws {
        let reported = Locked<[QueueProblem]>([])
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration, onQueueProblem: { _, problem in
            reported.withLock { $0.append(problem) }
        })
        let consumer = try Consumer(capacity: 64)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1) // FIRST
        if how == "controller reset" { fixture.subsystem.resetController(cntlid: 1) } else {
            #expect(fixture.subsystem.deleteQueueBehindTheHost(cntlid: 1))
        }
        let records = waitForLoss(consumer)
        let lost = try #require(records.last, "a queueLost record within 5 s")
        #expect(lost.kind == .queueLost && lost.loss == .unknownToController && lost.cdqid == queue.cdqid)
        let statistics = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(statistics.queueLosses == 1)
        #expect(reported.withLock { $0 } == [.lost(.unknownToController)])
        // The engine no longer touches the queue: no more head updates.
        MonotonicClock.sleep(nanoseconds: 100_000_000)
        #expect(fixture.engine.statistics(of: queue.handle)?.headUpdates == statistics.headUpdates)
        queue.detach(deleteOnController: false)
    }

    @Test func aHeadUpdateThatNeverCompletesLosesTheQueueAndUnregisterDoesNotHang() throws {
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration)
        let consumer = try Consumer(capacity: 64)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1)
        fixture.subsystem.faults.loseNextAdminCommands(1, opcode: AdminOpcode.setFeatures.rawValue)
        #expect(fixture.write(1, lba: 7) == .success)
        let records = waitForLoss(consumer)
        #expect(records.map(\.kind) == [.entry, .queueLost])
        #expect(records.last?.loss == .adminTimeout)
        #expect(fixture.subsystem.faults.statistics.adminCommandsLost == 1)
        let start = MonotonicClock.nanoseconds()
        queue.detach()
        #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "unregister returned")
    }
}
