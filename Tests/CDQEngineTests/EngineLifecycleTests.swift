import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// Attach, stop logging and drain to LAST, the suspend flow, detach.
@Suite struct EngineLifecycleTests {
    @Test func stopLoggingDeliversEverythingUpToLastThenDetaches() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer()
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        for lba in 0..<20 { _ = fixture.write(1, lba: UInt64(lba)) }
        try queue.stopLoggingAndDetach()
        let statuses = collect(consumer, count: 22).map(\.entry.entryStatus)
        #expect(statuses.first == .first)
        #expect(statuses.last == .lastLoggingStopped)
        #expect(statuses.count == 22, "FIRST, 20 changes, LAST: all in the ring before detach returned")
        #expect(fixture.subsystem.queueIDs.isEmpty, "the CDQ was deleted")
        #expect(fixture.engine.statistics.queues == 0)
    }

    @Test func suspendDeliversLastSuspendedAndTheControllerDeletesTheQueue() throws {
        let fixture = try EngineFixture(controllers: 2)
        let consumer = try Consumer()
        let queue = try fixture.attach(cntlid: 2, entries: 64, consumer: consumer)
        for lba in 0..<5 { _ = fixture.write(2, lba: UInt64(lba)) }
        try queue.suspendAndDetach(deleteUserDataMigrationQueue: true)
        // With DUDMQ the controller deletes the queue after the LAST; a head
        // update the engine sends before detach may find it gone (queueLost).
        let records = collect(consumer, count: 7).filter { $0.kind != .queueLost }
        #expect(records.map(\.entry.entryStatus).last == .lastControllerSuspended)
        #expect(fixture.subsystem.controller(2)!.isSuspended)
        #expect(fixture.write(2, lba: 9) == .controllerSuspended)
        #expect(fixture.subsystem.queueIDs.isEmpty, "DUDMQ: the controller deleted the queue")
        #expect(queue.deleted, "the simulator pins nothing: the memory is given back")
        #expect(fixture.backend.createdQueues.isEmpty, "and the backend forgot the CDQID")
    }

    /// A backend that cannot merely forget a queue the controller deleted
    /// (the kernel must run its own delete to unpin) falls back to its
    /// delete; when that fails the memory is kept, and the failure reported.
    @Test func afterDUDMQABackendWithoutAForgetPathDeletesAndKeepsTheMemoryWhenThatFails() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer()
        let queue = try AttachedQueue(engine: fixture.engine, backend: ForwardsToSimulator(fixture.backend), consumer: consumer,
                                      cntlid: 1, entries: 64)
        #expect(throws: QueueLifecycleError.self) { try queue.suspendAndDetach(deleteUserDataMigrationQueue: true) }
        #expect(!queue.deleted, "the delete found no queue: the memory stays mapped")
        #expect(fixture.subsystem.queueIDs.isEmpty)
    }

    @Test func aRefusedSuspendStillDeletesTheQueueBeforeItsMemoryIsFreed() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer()
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        fixture.subsystem.faults.failNextAdminCommands(1, with: .commandSequenceError, opcode: AdminOpcode.migrationSend.rawValue)
        #expect(throws: QueueLifecycleError.self) { try queue.suspendAndDetach(deleteUserDataMigrationQueue: true) }
        #expect(queue.deleted, "deleted by the host, as the controller deleted nothing")
        #expect(!fixture.subsystem.controller(1)!.isSuspended)
        #expect(fixture.subsystem.queueIDs.isEmpty, "the controller no longer holds a queue in freed memory")
        #expect(fixture.write(1, lba: 3) == .success, "and writes on without logging anywhere")
    }
}

@Suite struct ConsumerRecordsTests {
    @Test func recordsArriveThroughTheAsyncSequence() async throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer()
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        for lba in 0..<10 { _ = fixture.write(1, lba: UInt64(lba)) }
        var statuses: [EntryStatusAttribute] = [], lbas: [UInt64] = []
        for await record in consumer.records() {
            statuses.append(record.entry.entryStatus)
            if record.entry.entryStatus == .middle { lbas.append(record.entry.startingLBA) }
            if lbas.count == 10 { break }
        }
        #expect(statuses.first == .first)
        #expect(lbas == (0..<10).map(UInt64.init))
    }
}
