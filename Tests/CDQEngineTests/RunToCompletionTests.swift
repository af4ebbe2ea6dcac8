import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// Run-to-completion: the test's own thread drives the engine with `poll`
/// and takes records in an inline handler. Exactly once and in order under
/// backpressure, a bounded `poll`, clear errors for misuse, and queue loss
/// and admin commands working the same way.
@Suite struct RunToCompletionTests {
    static let configuration: EngineConfiguration = {
        var configuration = EngineConfiguration(watchdogIntervalNanoseconds: 5_000_000)
        configuration.adminTimeoutNanoseconds = 2_000_000_000
        configuration.livenessProbeNanoseconds = 20_000_000
        return configuration
    }()

    /// What the handler saw, on the polling thread only.
    final class Book {
        var records: [CDQRecord] = []
        /// Change records per controller (NSID = CNTLID in the fixture).
        var changes: [Int: Int] = [:]
        var outOfOrder = 0
        var engine: Engine?
        var handle: QueueHandle?
        var errors: [EngineError] = []
        var misuseOnNextRecord = false
        var stopOnNextRecord = false

        func take(_ run: UnsafeBufferPointer<CDQRecord>) {
            for record in run {
                records.append(record)
                guard record.kind == .entry, record.entry.entryStatus == .middle else {
                    if record.kind == .overflow || record.kind == .problem { outOfOrder += 1 }
                    continue
                }
                let cntlid = Int(record.entry.nsid)
                let expected = changes[cntlid, default: 0]
                if record.entry.startingLBA != UInt64(expected) { outOfOrder += 1 }
                changes[cntlid] = expected + 1
            }
            if misuseOnNextRecord, let engine, let handle {
                misuseOnNextRecord = false
                do throws(EngineError) { try engine.poll(timeoutNanoseconds: 0) } catch { errors.append(error) }
                do throws(EngineError) { try engine.unregister(handle) } catch { errors.append(error) }
            }
            if stopOnNextRecord { engine?.shutdown() }
        }

        var totalChanges: Int { changes.values.reduce(0, +) }
    }

    /// Polls until `done` or 20 s passed.
    static func poll(_ engine: Engine, until done: () -> Bool) throws {
        let deadline = MonotonicClock.nanoseconds() + 20_000_000_000
        while !done() && MonotonicClock.nanoseconds() < deadline {
            try engine.poll(timeoutNanoseconds: 10_000_000)
        }
    }

    @Test func exactlyOnceInOrderWithManyQueuesAndASlowHandler() throws {
        let queues = 64, writesPerQueue = 60
        let entries: UInt32 = 16
        let book = Book()
        // No watchdog to lean on: a stalled queue must be unstalled by the
        // records being handed out, not by a tick (nor an eventfd nobody signals).
        var configuration = Self.configuration
        configuration.watchdogIntervalNanoseconds = 10_000_000_000
        let fixture = try EngineFixture(controllers: queues, configuration: configuration, runToCompletion: { run in
            book.take(run)
            MonotonicClock.sleep(nanoseconds: 30_000) // the slow handler
        })
        // One small ring for all: a scan of many queues fills it, so queues stall.
        let consumer = try Consumer(capacity: 32)
        for cntlid in 1...queues {
            try fixture.attach(cntlid: UInt16(cntlid), entries: entries, consumer: consumer)
        }
        // A write only goes to a queue with room for it, so the tiny queues
        // wrap constantly but never overflow however slow the handler is.
        let subsystem = fixture.subsystem
        let writer = try OSThread(name: "writer") {
            var written = [Int](repeating: 0, count: queues + 1)
            let deadline = MonotonicClock.nanoseconds() + 20_000_000_000
            while written.reduce(0, +) < queues * writesPerQueue && MonotonicClock.nanoseconds() < deadline {
                var wrote = false
                for cntlid in 1...queues where written[cntlid] < writesPerQueue {
                    let controller = subsystem.controller(UInt16(cntlid))!
                    guard (controller.queueSnapshot?.outstanding ?? entries) < entries - 3 else { continue }
                    _ = controller.write(nsid: UInt32(cntlid), startingLBA: UInt64(written[cntlid]), blockCount: 1, data: nil)
                    written[cntlid] += 1
                    wrote = true
                }
                if !wrote { MonotonicClock.sleep(nanoseconds: 50_000) }
            }
        }
        try Self.poll(fixture.engine) { book.totalChanges >= queues * writesPerQueue }
        writer.join()

        #expect(book.outOfOrder == 0, "out of order, duplicated, overflowed or problem records")
        #expect((1...queues).allSatisfy { book.changes[$0] == writesPerQueue })
        let totals = fixture.engine.statistics.totals
        #expect(totals.entries == UInt64(queues * (writesPerQueue + 1)), "every change and each FIRST, once")
        #expect(totals.ringFullStalls > 0, "the ring was small enough to push back")
        #expect(consumer.systemCalls == 0, "no eventfd hand-off: the records never left the polling thread")
        for queue in fixture.queues { try queue.detach() }
        #expect(fixture.engine.statistics.queues == 0)
    }

    @Test func pollReturnsWithinItsTimeout() throws {
        let engine = try Engine(runToCompletion: Self.configuration, onRecords: { _ in })
        for timeout: UInt64 in [0, 1_000_000, 50_000_000, .max] {
            let start = MonotonicClock.nanoseconds()
            #expect(try engine.poll(timeoutNanoseconds: timeout) == 0)
            // Generous: it returns (at the latest at the watchdog's tick), it does not hang.
            #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "timeout \(timeout)")
        }
        engine.shutdown()
    }

    /// A wait the watchdog does not end in time has a timer of its own:
    /// with the watchdog seconds away, a short poll still returns.
    @Test func aShortPollReturnsLongBeforeAFarWatchdog() throws {
        var configuration = Self.configuration
        configuration.watchdogIntervalNanoseconds = 20_000_000_000
        let engine = try Engine(runToCompletion: configuration, onRecords: { _ in })
        for _ in 0..<5 {
            let start = MonotonicClock.nanoseconds()
            #expect(try engine.poll(timeoutNanoseconds: 20_000_000) == 0)
            // Generous: it returned by its own timer, not the watchdog's 20 s.
            try #require(MonotonicClock.nanoseconds() - start < 10_000_000_000)
        }
        engine.shutdown()
    }

    @Test func misuseIsRefusedWithClearErrors() throws {
        let threaded = try Engine(Self.configuration)
        #expect(throws: EngineError.notRunToCompletion) { try threaded.poll(timeoutNanoseconds: 0) }
        threaded.shutdown()

        let book = Book()
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration, runToCompletion: book.take)
        book.engine = fixture.engine
        let engine = fixture.engine
        let consumer = try Consumer(capacity: 64)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        book.handle = queue.handle

        let fromAnotherThread = Locked<EngineError?>(nil)
        try OSThread(name: "not the owner") {
            do throws(EngineError) { try engine.poll(timeoutNanoseconds: 0) } catch { fromAnotherThread.withLock { $0 = error } }
        }.join()
        #expect(fromAnotherThread.withLock { $0 } == .wrongThread)

        // Inside poll (the handler): polling again or waiting for the engine is refused.
        book.misuseOnNextRecord = true
        #expect(fixture.write(1, lba: 0) == .success)
        try Self.poll(engine) { book.totalChanges == 1 }
        #expect(book.errors == [.insidePoll, .insidePoll])
        #expect(engine.statistics(of: queue.handle) != nil, "the refused unregister left the queue registered")
        #expect(EngineError.insidePoll.description.contains("after poll returns"))

        // shutdown inside the handler stops the engine when that poll returns.
        book.stopOnNextRecord = true
        #expect(fixture.write(1, lba: 1) == .success)
        var stopped: EngineError?
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while stopped == nil && MonotonicClock.nanoseconds() < deadline {
            do throws(EngineError) { try engine.poll(timeoutNanoseconds: 10_000_000) } catch { stopped = error }
        }
        #expect(stopped == .stopped)
        #expect(engine.statistics.queues == 0, "every queue released")
        #expect(throws: EngineError.stopped) { try engine.poll(timeoutNanoseconds: 0) }
        #expect(throws: EngineError.stopped) { try engine.register(QueueRegistration(
            memory: queue.memory.buffer.baseAddress!, entryCount: 64, cdqid: 9, eventFD: try EventFD(),
            transport: fixture.transport, consumer: consumer)) }
    }

    @Test func aLostQueueDeliversItsRecordInline() throws {
        let book = Book()
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration, runToCompletion: book.take)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: try Consumer(capacity: 64))
        #expect(fixture.subsystem.deleteQueueBehindTheHost(cntlid: 1))
        try Self.poll(fixture.engine) { book.records.contains { $0.kind == .queueLost } }
        let lost = try #require(book.records.last)
        #expect(lost.kind == .queueLost && lost.loss == .unknownToController && lost.cdqid == queue.cdqid)
        #expect(fixture.engine.statistics(of: queue.handle)?.queueLosses == 1)
        // The controller holds no such queue: the delete fails and the memory is kept.
        #expect(throws: QueueLifecycleError.self) { try queue.detach() }
        #expect(!queue.deleted)
    }

    @Test func adminCommandsAndDetachWorkFromThePollingThread() throws {
        let book = Book()
        let fixture = try EngineFixture(controllers: 2, configuration: Self.configuration, runToCompletion: book.take)
        let engine = fixture.engine
        let consumer = try Consumer(capacity: 64)
        // Attaching sends Track Send and waits for it: by polling.
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        #expect(try queue.controllerView().head <= 1)

        let answered = Locked<AdminOutcome?>(nil)
        try engine.submitAdmin(.getControllerDataQueue(cdqid: queue.cdqid), via: fixture.transport) { outcome in
            answered.withLock { $0 = outcome }
        }
        try Self.poll(engine) { answered.withLock { $0 } != nil }
        #expect(answered.withLock { $0 } != nil, "the completion ran inside poll")

        // Unregistering from another thread is carried out by the owner's next poll.
        let other = try fixture.attach(cntlid: 2, entries: 64, consumer: consumer)
        let unregistered = Locked<Bool>(false)
        let handle = other.handle
        let thread = try OSThread(name: "unregister") {
            _ = try? engine.unregister(handle)
            unregistered.withLock { $0 = true }
        }
        try Self.poll(engine) { unregistered.withLock { $0 } }
        thread.join()
        #expect(engine.statistics(of: handle) == nil)

        // Track Send stop, the LAST read, then detach: all waits poll.
        #expect(fixture.write(1, lba: 7) == .success)
        try queue.stopLoggingAndDetach()
        #expect(queue.deleted)
        #expect(book.records.contains { $0.kind == .entry && $0.entry.entryStatus == .lastLoggingStopped })
        #expect(book.records.contains { $0.kind == .entry && $0.entry.entryStatus == .middle && $0.entry.startingLBA == 7 })
    }
}
