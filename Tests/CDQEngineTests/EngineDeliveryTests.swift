import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

@Suite struct EngineDeliveryTests {
    @Test func entriesArriveInOrderExactlyOnceAcrossManyWraps() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 1024)
        let queue = try fixture.attach(cntlid: 1, entries: 128, consumer: consumer)
        #expect(collect(consumer, count: 1).first?.entry.entryStatus == .first)
        var delivered: [UInt64] = []
        let controller = try #require(fixture.subsystem.controller(1))
        for round in 0..<50 {
            // Rounds well below the queue's size, each once the controller has
            // room for it (the writer keeps within the queue, as the engine's
            // moderation holds back up to a quarter of it): nothing may overflow.
            #expect(waitForRoom(controller, 20))
            for i in 0..<20 { #expect(fixture.write(1, lba: UInt64(round * 20 + i)) == .success) }
            delivered += collect(consumer, count: 20).map { $0.entry.startingLBA }
        }
        #expect(delivered == (0..<1000).map(UInt64.init), "every write once, in order, through 7 wraps")
        let statistics = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(statistics.entries == 1001)
        #expect(statistics.overflows == 0)
        #expect(statistics.headUpdates > 0)
    }

    @Test func recordsNameTheirQueue() throws {
        let fixture = try EngineFixture(controllers: 3)
        let consumer = try Consumer()
        let queues = try (1...3).map { try fixture.attach(cntlid: UInt16($0), entries: 64, consumer: consumer) }
        _ = collect(consumer, count: 3) // the FIRST markers
        for cntlid in 1...3 { _ = fixture.write(UInt16(cntlid), lba: UInt64(cntlid * 100)) }
        let records = collect(consumer, count: 3)
        for record in records {
            let queue = try #require(queues.first { $0.handle.index == record.queue })
            #expect(record.cdqid == queue.cdqid)
            #expect(record.entry.startingLBA == UInt64(queue.cntlid) * 100)
            #expect(record.entry.nsid == UInt32(queue.cntlid))
        }
    }

    @Test func aFullConsumerRingStopsDrainingAndLosesNothing() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 8)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        for lba in 0..<40 { _ = fixture.write(1, lba: UInt64(lba)) }
        // Let the engine fill the ring and stall.
        var stalls: UInt64 = 0
        let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
        while stalls == 0 && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
            stalls = fixture.engine.statistics(of: queue.handle)?.ringFullStalls ?? 0
        }
        #expect(stalls > 0, "the engine stopped at a full ring")
        #expect(consumer.ring.count == consumer.ring.capacity)
        let records = collect(consumer, count: 41)
        #expect(records.map(\.entry.entryStatus).first == .first)
        #expect(records.dropFirst().map(\.entry.startingLBA) == (0..<40).map(UInt64.init), "resumed where it stopped")
        #expect(fixture.engine.statistics(of: queue.handle)?.overflows == 0)
    }

    @Test func anOverflowReachesTheConsumerAsAnExplicitEvent() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 4)
        let queue = try fixture.attach(cntlid: 1, entries: 16, consumer: consumer)
        for lba in 0..<200 { _ = fixture.write(1, lba: UInt64(lba)) }
        var records: [CDQRecord] = []
        let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
        while !records.contains(where: { $0.kind == .overflow }) && MonotonicClock.nanoseconds() < deadline {
            records += collect(consumer, count: 1, timeoutNanoseconds: 100_000_000)
        }
        let overflow = try #require(records.first { $0.kind == .overflow })
        #expect(overflow.entry.entryStatus == .lastQueueFull)
        #expect((fixture.engine.statistics(of: queue.handle)?.overflows ?? 0) >= 1, "counted (more may follow: the writes outran a 4-record ring)")
    }
}

@Suite struct WakeupLatencyTests {
    @Test func wakeUpsAreMeasuredUntilDelivery() throws {
        // A slow watchdog, so the entries are found by their wake-ups.
        // Every entry is announced by an event: the next-entry trigger.
        let fixture = try EngineFixture(controllers: 1, configuration: EngineConfiguration(watchdogIntervalNanoseconds: 50_000_000, trigger: .nextEntry))
        let consumer = try Consumer()
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        #expect(fixture.engine.wakeupLatency.count == 0)
        _ = collect(consumer, count: 1)
        for lba in 0..<20 {
            // Write once the trigger is armed and the engine is idle, so the
            // entry is announced by a wake-up rather than found by a re-scan.
            #expect(waitUntilArmed(fixture.subsystem.controller(1)!))
            MonotonicClock.sleep(nanoseconds: 1_000_000)
            _ = fixture.write(1, lba: UInt64(lba))
            #expect(collect(consumer, count: 1).count == 1)
        }
        MonotonicClock.sleep(nanoseconds: 120_000_000) // a watchdog tick publishes the histogram
        let latency = fixture.engine.wakeupLatency
        #expect(latency.count >= 10, "most writes woke the engine: \(latency)")
        #expect(latency.p50 > 0 && latency.p50 <= latency.p99 && latency.p99 <= latency.p999 && latency.p999 <= latency.maximum)
        #expect(latency.maximum < 5_000_000, "under five seconds")
    }
}
