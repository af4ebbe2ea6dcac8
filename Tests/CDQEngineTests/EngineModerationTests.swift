import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// Moderation (`TriggerPolicy.moderated`, the default) through the whole
/// engine and the simulated controller: correctness only; what it costs is
/// the benchmark's business (docs/benchmarks.md).
@Suite struct EngineModerationTests {
    /// Pops change records until the books hold `total` (or 10 s pass),
    /// booked by CDQID.
    func drain(_ consumer: Consumer, into books: inout [Int: [UInt64]], total: Int) {
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 256)
        defer { buffer.deallocate() }
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while books.values.reduce(0, { $0 + $1.count }) < total && MonotonicClock.nanoseconds() < deadline {
            consumer.wait(timeoutNanoseconds: 20_000_000)
            for record in buffer.prefix(consumer.pop(into: buffer)) where record.kind == .entry && !record.entry.isMarker {
                books[Int(record.cdqid), default: []].append(record.entry.startingLBA)
            }
        }
    }

    /// A burst as large as the queue holds without losing a change
    /// (entries − 2: the slot after it would carry ESA 7) never
    /// overflows, as long as it starts once the controller has room: the
    /// engine must hand the whole queue back, even when what it holds is
    /// below its return threshold (a quiet queue goes idle).
    @Test func burstsUpToCapacityNeverOverflowAQueueThatKeepsUp() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 1024)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        let controller = try #require(fixture.subsystem.controller(1))
        _ = collect(consumer, count: 1) // FIRST
        var random = WorkloadRandom(seed: 7)
        var written: UInt64 = 0
        for burst in 0..<12 {
            // A full burst after a small one: what the engine holds back
            // (below its threshold) comes back when the queue goes idle,
            // well before the 1 s liveness probe would send it.
            let size = burst % 2 == 1 ? UInt32(62) : 1 + UInt32(random.next(below: 14))
            #expect(waitForRoom(controller, size, timeoutNanoseconds: 800_000_000), "the engine hands back room for a burst of \(size)")
            for _ in 0..<size {
                #expect(fixture.write(1, lba: written) == .success)
                written += 1
            }
            let got = collect(consumer, count: Int(size)).map(\.entry.startingLBA)
            #expect(got == (written - UInt64(size)..<written).map { $0 }, "burst \(burst): once, in order")
        }
        let statistics = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(statistics.overflows == 0 && controller.lostChanges == 0)
    }

    /// A trickle is scanned on deadlines, not woken per entry, and hands
    /// the head back once a quarter of the queue was consumed. A generous
    /// budget keeps the queue active however slowly this machine runs, and
    /// the writer keeps within the queue (a loaded machine can starve the
    /// engine for longer than the writer takes to fill it).
    @Test func aTrickleCostsFewHeadUpdatesAndWakeUps() throws {
        var configuration = EngineConfiguration()
        configuration.deliveryBudgetNanoseconds = 100_000_000
        let fixture = try EngineFixture(controllers: 1, configuration: configuration)
        let consumer = try Consumer(capacity: 1024)
        let queue = try fixture.attach(cntlid: 1, entries: 128, consumer: consumer)
        _ = collect(consumer, count: 1)
        let before = try #require(fixture.engine.statistics(of: queue.handle))
        let count = 200
        let controller = try #require(fixture.subsystem.controller(1))
        for lba in 0..<count {
            #expect(waitForRoom(controller, 1))
            #expect(fixture.write(1, lba: UInt64(lba)) == .success)
            MonotonicClock.sleep(nanoseconds: 100_000)
        }
        let got = collect(consumer, count: count).map(\.entry.startingLBA)
        #expect(got == (0..<UInt64(count)).map { $0 })
        // Deadline scans are published at watchdog ticks: wait for one.
        var after = try #require(fixture.engine.statistics(of: queue.handle))
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while after.deadlineScans == before.deadlineScans && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 5_000_000)
            after = try #require(fixture.engine.statistics(of: queue.handle))
        }
        let headUpdates = after.headUpdates - before.headUpdates, wakeups = after.wakeups - before.wakeups
        #expect(headUpdates <= UInt64(count) / 8, "\(headUpdates) head updates for \(count) entries")
        #expect(wakeups <= UInt64(count) / 8, "\(wakeups) wake-ups for \(count) entries")
        #expect(after.deadlineScans > before.deadlineScans)
    }

    /// Many more queues than admin commands may be in flight: head updates
    /// wait for room in the transport, nothing deadlocks, nothing is lost.
    @Test func moreQueuesThanTheAdminDepthLoseNothing() throws {
        let queues = 48
        let fixture = try EngineFixture(controllers: queues, adminDepth: 4)
        let consumer = try Consumer(capacity: 4096)
        for cntlid in 1...queues { try fixture.attach(cntlid: UInt16(cntlid), entries: 16, consumer: consumer) }
        _ = collect(consumer, count: queues) // FIRST markers
        var books: [Int: [UInt64]] = [:]
        for round in 0..<20 {
            for cntlid in 1...queues {
                let controller = try #require(fixture.subsystem.controller(UInt16(cntlid)))
                #expect(waitForRoom(controller, 5), "queue \(cntlid) round \(round)")
                for i in 0..<5 { _ = fixture.write(UInt16(cntlid), lba: UInt64(round * 5 + i)) }
            }
            drain(consumer, into: &books, total: (round + 1) * 5 * queues)
        }
        for cdqid in books.keys { #expect(books[cdqid] == (0..<100).map { UInt64($0) }, "queue with CDQID \(cdqid)") }
        #expect(books.count == queues)
        #expect(fixture.engine.statistics.totals.overflows == 0)
    }

    /// Events that are masked after the first, dropped, or late change
    /// when entries arrive, never whether: deadline scans and the watchdog
    /// find them, once each, in order.
    @Test(arguments: ["masked", "dropped", "delayed"])
    func eventFaultsCostNoEntries(_ fault: String) throws {
        let fixture = try EngineFixture(controllers: 2)
        switch fault {
        case "masked": fixture.subsystem.faults.maskAfterFirstDelivery(true)
        case "dropped": fixture.subsystem.faults.dropNextTriggers(1_000)
        default: fixture.subsystem.faults.delayTriggers(byNanoseconds: 3_000_000)
        }
        let consumer = try Consumer(capacity: 4096)
        for cntlid in 1...2 { try fixture.attach(cntlid: UInt16(cntlid), entries: 32, consumer: consumer) }
        _ = collect(consumer, count: 2)
        var books: [Int: [UInt64]] = [:]
        var random = WorkloadRandom(seed: 11)
        var written = [0, 0]
        for _ in 0..<40 {
            let index = Int(random.next(below: 2))
            let controller = try #require(fixture.subsystem.controller(UInt16(index + 1)))
            let size = 1 + Int(random.next(below: 8))
            #expect(waitForRoom(controller, UInt32(size)))
            for _ in 0..<size {
                _ = fixture.write(UInt16(index + 1), lba: UInt64(written[index]))
                written[index] += 1
            }
            if random.next(below: 4) == 0 { MonotonicClock.sleep(nanoseconds: UInt64(random.next(below: 3_000_000))) }
        }
        drain(consumer, into: &books, total: written.reduce(0, +))
        for index in 0..<2 {
            let cdqid = try #require(fixture.queues.first { $0.cntlid == UInt16(index + 1) }?.cdqid)
            #expect(books[Int(cdqid)] ?? [] == (0..<UInt64(written[index])).map { $0 }, "\(fault): queue \(index + 1)")
        }
        #expect(fixture.engine.statistics.totals.overflows == 0)
    }
}
