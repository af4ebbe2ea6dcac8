import CDQEngine
import CDQSimulator
import CDQUring
import Testing

/// The counters cdq-bench reports as system calls per entry: they must move
/// with the work, and stay still when there is none.
@Suite struct SystemCallCountTests {
    @Test func everyLoopTurnCountsItsEnterAndWaitingCountsOnTheConsumer() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 256)
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        _ = collect(consumer, count: 1) // FIRST
        for lba in 0..<10 {
            #expect(fixture.write(1, lba: UInt64(lba)) == .success)
            #expect(collect(consumer, count: 1).count == 1)
        }
        let statistics = fixture.engine.statistics
        // One io_uring_enter per turn, plus eventfd reads and wake-ups.
        #expect(statistics.systemCalls > statistics.turns)
        #expect(statistics.turns > 0)
        // A wait on an empty ring sleeps: one futex wait. (The waits
        // above may each have found their record already delivered.)
        let before = consumer.systemCalls
        #expect(!consumer.wait(timeoutNanoseconds: 1_000_000), "nothing more was written")
        #expect(consumer.systemCalls == before + 1)
        // Head updates went out through the doorbell.
        #expect(fixture.transport.channel.doorbellRings > 0)
    }

    @Test func aConsumerThatFindsRecordsWaitingMakesNoCall() throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 256)
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        for lba in 0..<20 { #expect(fixture.write(1, lba: UInt64(lba)) == .success) }
        // Wait until all 21 records (FIRST + 20) sit in the ring, without popping.
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while consumer.ring.count < 21 && MonotonicClock.nanoseconds() < deadline { MonotonicClock.sleep(nanoseconds: 1_000_000) }
        let before = consumer.systemCalls
        #expect(consumer.wait(timeoutNanoseconds: 1_000_000))
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 64)
        defer { buffer.deallocate() }
        #expect(consumer.pop(into: buffer) == 21)
        #expect(consumer.systemCalls == before, "records were waiting: no poll, no read, no signal")
    }
}
