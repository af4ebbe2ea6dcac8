import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// The loop's batching sleep (EngineLoop, docs/engine.md "Batching
/// events"): while events are frequent and a deadline tick is coming, the
/// loop sleeps through them and takes them together, not waking for each.
@Suite struct EventBatchingTests {
    /// Many sparse queues: each change finds its queue idle, so each costs
    /// an event. The loop takes the events in batches, in fewer turns than
    /// events, and every change still arrives once, in order.
    @Test func eventsOfManySparseQueuesAreTakenInBatches() throws {
        // A 10 ms budget: the loop may sleep through events for up to
        // 2.2 ms (a quarter of a scan interval), and a queue goes idle
        // after 70 ms without a change (8 empty deadline scans).
        var configuration = EngineConfiguration()
        configuration.deliveryBudgetNanoseconds = 10_000_000
        let queues = 512, rounds = 6
        let fixture = try EngineFixture(controllers: queues, configuration: configuration)
        let consumer = try Consumer(capacity: 8192)
        for cntlid in 1...queues { try fixture.attach(cntlid: UInt16(cntlid), entries: 16, consumer: consumer) }
        _ = collect(consumer, count: queues) // FIRST markers
        let before = fixture.engine.statistics
        // One change every 150 µs or more, round robin: a queue sees one
        // every 77 ms or more, each after its queue went idle, each an
        // event; a sleep of 2.2 ms can gather a dozen.
        for round in 0..<rounds {
            for cntlid in 1...queues {
                #expect(fixture.write(UInt16(cntlid), lba: UInt64(round)) == .success)
                MonotonicClock.sleep(nanoseconds: 150_000)
            }
        }
        let after = fixture.engine.statistics
        let records = collect(consumer, count: queues * rounds, timeoutNanoseconds: 10_000_000_000)
        var books: [UInt16: [UInt64]] = [:]
        for record in records where record.kind == .entry && !record.entry.isMarker {
            books[record.cdqid, default: []].append(record.entry.startingLBA)
        }
        #expect(books.count == queues)
        for (cdqid, lbas) in books { #expect(lbas == (0..<UInt64(rounds)).map { $0 }, "queue with CDQID \(cdqid)") }
        let events = after.totals.wakeups - before.totals.wakeups
        let turns = after.turns - before.turns
        #expect(events >= UInt64(queues * rounds / 4), "\(events) events: the queues went idle between changes")
        // Woken by each event, the loop turns about twice per event (the
        // event, then its re-arm's completion); batching them, about a
        // third of a turn.
        #expect(turns < events * 3 / 4, "\(turns) loop turns for \(events) events")
        #expect(after.totals.overflows == 0)
    }

    /// Events far apart: the loop waits for each in the ring, so each
    /// still wakes it at once, and no sleep that would gather nothing
    /// follows it: a lone event does not make events frequent.
    @Test func loneEventsAreNotFollowedByASleep() throws {
        let queues = 8, rounds = 4
        // No watchdog turns in between: only the events' own.
        var configuration = EngineConfiguration()
        configuration.watchdogIntervalNanoseconds = 1_000_000_000
        let fixture = try EngineFixture(controllers: queues, configuration: configuration)
        let consumer = try Consumer(capacity: 1024)
        for cntlid in 1...queues { try fixture.attach(cntlid: UInt16(cntlid), entries: 16, consumer: consumer) }
        _ = collect(consumer, count: queues) // FIRST markers
        let before = fixture.engine.statistics
        // One change every 10 ms: each queue's 80 ms apart (sparse, an
        // event each), and no two events within a sleep's 219 µs.
        for round in 0..<rounds {
            for cntlid in 1...queues {
                #expect(fixture.write(UInt16(cntlid), lba: UInt64(round)) == .success)
                MonotonicClock.sleep(nanoseconds: 10_000_000)
            }
        }
        let after = fixture.engine.statistics
        let records = collect(consumer, count: queues * rounds)
        #expect(records.filter { $0.kind == .entry && !$0.entry.isMarker }.count == queues * rounds)
        let events = after.totals.wakeups - before.totals.wakeups
        let turns = after.turns - before.turns
        #expect(events >= UInt64(queues * rounds / 2), "\(events) events")
        // Measured: 2.5 turns per event; 3.5 with a sleep after each.
        #expect(turns < events * 3, "\(turns) loop turns for \(events) events")
    }
}
