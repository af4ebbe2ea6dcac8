@testable import CDQEngine
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
        // The controller holds no such queue: the delete fails, is reported,
        // and the memory is kept (the memory rule).
        #expect(throws: QueueLifecycleError.self) { try queue.detach() }
        #expect(!queue.deleted)
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
        try? queue.detach()
        #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "unregister returned")
    }
}

extension QueueLossTests {
    /// A caller's admin command the controller never answers is answered by
    /// the engine with a timeout; the engine goes on serving the queue.
    @Test func aCallersAdminCommandThatNeverCompletesTimesOut() throws {
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration)
        let backend = SimulatedQueueBackend(subsystem: fixture.subsystem, transport: fixture.transport)
        let consumer = try Consumer(capacity: 64)
        let queue = try AttachedQueue(engine: fixture.engine, backend: backend, consumer: consumer, cntlid: 1, entries: 64)
        fixture.subsystem.faults.loseNextAdminCommands(1, opcode: AdminOpcode.trackSend.rawValue)
        let start = MonotonicClock.nanoseconds()
        let outcome = try fixture.engine.executeAdmin(.trackSend(cdqid: queue.cdqid, logging: .stop), via: fixture.transport)
        #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "answered, not hung")
        guard case .systemError(let error) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.errno == 110 && "\(error)".contains("given up"))
        // The slot stays taken by the lost command; the next ones still work.
        #expect(fixture.write(1, lba: 3) == .success)
        #expect(collect(consumer, count: 2).map(\.kind) == [.entry, .entry])
        try queue.stopLoggingAndDetach()
    }

    @Test func lossRulesAreExact() {
        #expect(QueueLoss.of(status: .invalidControllerDataQueue) == .unknownToController)
        #expect(QueueLoss.of(status: NVMeStatus(rawValue: 0x4137)) == .unknownToController, "with DNR, as QEMU answers")
        #expect(QueueLoss.of(status: .invalidFieldInCommand) == nil)
        #expect(QueueLoss.of(status: .internalError) == nil)
        #expect(QueueLoss.of(negatedErrno: -19) == .deviceGone)
        #expect(QueueLoss.of(negatedErrno: -5) == .deviceGone)
        #expect(QueueLoss.of(negatedErrno: -22) == nil)
        #expect(QueueLoss.of(negatedErrno: 0) == nil)
    }
}

extension QueueLossTests {
    /// Unregister waits for the queue's head update in flight; when that
    /// never completes, the admin timeout ends the wait.
    @Test func unregisterDuringAHeadUpdateThatNeverCompletesReturns() throws {
        var configuration = Self.configuration
        configuration.adminTimeoutNanoseconds = 1_000_000_000 // unregister starts well before it
        let fixture = try EngineFixture(controllers: 1, configuration: configuration)
        let consumer = try Consumer(capacity: 64)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1)
        fixture.subsystem.faults.loseNextAdminCommands(1, opcode: AdminOpcode.setFeatures.rawValue)
        #expect(fixture.write(1, lba: 7) == .success)
        // Wait until a head update has been swallowed, then unregister at once.
        let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
        while fixture.subsystem.faults.statistics.adminCommandsLost == 0 && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 200_000)
        }
        #expect(fixture.subsystem.faults.statistics.adminCommandsLost == 1)
        #expect(fixture.engine.statistics.totals.queueLosses == 0, "not yet timed out")
        let start = MonotonicClock.nanoseconds()
        _ = try fixture.engine.unregister(queue.handle)
        #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "unregister returned")
        #expect(fixture.engine.statistics.totals.queueLosses == 1, "the timeout ended the wait")
        try queue.detach()
    }
}

extension QueueLossTests {
    @Test func deadlinesAreDecidedByTimeAlone() {
        func due(_ now: UInt64, inFlight: Bool, lost: Bool = false) -> QueueDeadline? {
            QueueDeadline.due(now: now, sentAt: 1_000, updateInFlight: inFlight, lost: lost, adminTimeout: 500, livenessProbe: 200)
        }
        #expect(due(1_100, inFlight: true) == nil)
        #expect(due(1_500, inFlight: true) == .adminTimedOut)
        #expect(due(1_100, inFlight: false) == nil)
        #expect(due(1_200, inFlight: false) == .probe)
        #expect(due(9_000, inFlight: true, lost: true) == nil, "a lost queue is never touched again")
    }
}
