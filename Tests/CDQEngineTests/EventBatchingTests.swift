import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// The loop's batching sleep (EngineLoop, docs/engine.md "Batching
/// events"): while events are frequent and a deadline tick is coming, the
/// loop sleeps through them and takes them together, not waking for each.
@Suite struct EventBatchingTests {
    /// What a round-robin writer did to the engine: its statistics before
    /// and after, and the change records in arrival order.
    struct Run {
        let before: EngineStatistics
        let after: EngineStatistics
        let changes: [CDQRecord]

        var events: UInt64 { after.totals.wakeups - before.totals.wakeups }
        var turns: UInt64 { after.turns - before.turns }
    }

    /// `queues` queues of 16 entries; `rounds` times one change to each in
    /// turn, `gap` apart; then the records collected.
    func roundRobin(queues: Int, rounds: Int, gapNanoseconds gap: UInt64,
                    configuration: EngineConfiguration) throws -> Run {
        let fixture = try EngineFixture(controllers: queues, configuration: configuration)
        let consumer = try Consumer(capacity: 8192)
        for cntlid in 1...queues { try fixture.attach(cntlid: UInt16(cntlid), entries: 16, consumer: consumer) }
        _ = collect(consumer, count: queues) // FIRST markers
        let before = fixture.engine.statistics
        for round in 0..<rounds {
            for cntlid in 1...queues {
                #expect(fixture.write(UInt16(cntlid), lba: UInt64(round)) == .success)
                MonotonicClock.sleep(nanoseconds: gap)
            }
        }
        let after = fixture.engine.statistics
        let records = collect(consumer, count: queues * rounds, timeoutNanoseconds: 10_000_000_000)
        return Run(before: before, after: after, changes: records.filter { $0.kind == .entry && !$0.entry.isMarker })
    }

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
        // One change every 150 µs or more, round robin: a queue sees one
        // every 77 ms or more, each after its queue went idle, each an
        // event; a sleep of 2.2 ms can gather a dozen.
        let run = try roundRobin(queues: queues, rounds: rounds, gapNanoseconds: 150_000, configuration: configuration)
        var books: [UInt16: [UInt64]] = [:]
        for record in run.changes { books[record.cdqid, default: []].append(record.entry.startingLBA) }
        #expect(books.count == queues)
        for (cdqid, lbas) in books { #expect(lbas == (0..<UInt64(rounds)).map { $0 }, "queue with CDQID \(cdqid)") }
        let (events, turns) = (run.events, run.turns)
        #expect(events >= UInt64(queues * rounds / 4), "\(events) events: the queues went idle between changes")
        // Woken by each event, the loop turns about twice per event (the
        // event, then its re-arm's completion); batching them, about a
        // third of a turn.
        #expect(turns < events * 3 / 4, "\(turns) loop turns for \(events) events")
        #expect(run.after.totals.overflows == 0)
    }

    /// Events far apart: the loop waits for each in the ring, so each
    /// still wakes it at once, and no sleep that would gather nothing
    /// follows it: a lone event does not make events frequent.
    @Test func loneEventsAreNotFollowedByASleep() throws {
        let queues = 8, rounds = 4
        // No watchdog turns in between: only the events' own.
        var configuration = EngineConfiguration()
        configuration.watchdogIntervalNanoseconds = 1_000_000_000
        // One change every 10 ms: each queue's 80 ms apart (sparse, an
        // event each), and no two events within a sleep's 219 µs.
        let run = try roundRobin(queues: queues, rounds: rounds, gapNanoseconds: 10_000_000, configuration: configuration)
        #expect(run.changes.count == queues * rounds)
        let (events, turns) = (run.events, run.turns)
        #expect(events >= UInt64(queues * rounds / 2), "\(events) events")
        // Measured: 2.5 turns per event; 3.5 with a sleep after each.
        #expect(turns < events * 3, "\(turns) loop turns for \(events) events")
    }
}
