import CDQEngine
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A consumer asleep waiting for records is woken by the delivery that
/// brings them, whichever way it sleeps: in `wait` (a futex) or in its own
/// poll loop on `readyEvent` (`prepareToWait`). A lost wake-up would leave
/// it asleep until its timeout, so the timeouts here are long and the
/// bound checked is only "well before the timeout".
@Suite struct ConsumerWakeTests {
    private static let longTimeout: UInt64 = 20_000_000_000
    private static let wellBefore: UInt64 = 10_000_000_000

    /// One queue attached, its FIRST record taken.
    private func attached() throws -> (EngineFixture, Consumer) {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer(capacity: 256)
        try fixture.attach(cntlid: 1, entries: 64, consumer: consumer)
        #expect(collect(consumer, count: 1).count == 1)
        return (fixture, consumer)
    }

    @Test func aConsumerAsleepInWaitIsWokenByTheNextDelivery() throws {
        let (fixture, consumer) = try attached()
        for lba in 0..<20 {
            let woken = Locked<(records: Bool, waited: UInt64)?>(nil)
            let sleeper = try OSThread(name: "test consumer") {
                let start = MonotonicClock.nanoseconds()
                let records = consumer.wait(timeoutNanoseconds: Self.longTimeout)
                woken.withLock { $0 = (records, MonotonicClock.nanoseconds() - start) }
            }
            // Give the consumer time to fall asleep (if it has not, the
            // delivery simply finds it awake: the test still holds).
            MonotonicClock.sleep(nanoseconds: 2_000_000)
            #expect(fixture.write(1, lba: UInt64(lba)) == .success)
            sleeper.join()
            let result = try #require(woken.withLock { $0 })
            #expect(result.records, "woken with records waiting (change \(lba))")
            try #require(result.waited < Self.wellBefore, "woken by the delivery, not by the timeout (change \(lba))")
            #expect(collect(consumer, count: 1).count == 1)
        }
    }

    @Test func aConsumerArmedForItsOwnPollLoopGetsItsEventFD() throws {
        let (fixture, consumer) = try attached()
        for lba in 0..<20 {
            _ = try? consumer.readyEvent.drain()
            consumer.prepareToWait()
            #expect(consumer.ring.isEmpty)
            #expect(fixture.write(1, lba: UInt64(lba)) == .success)
            var descriptor = pollfd(fd: consumer.readyEvent.fileDescriptor, events: Int16(POLLIN), revents: 0)
            try #require(poll(&descriptor, 1, Int32(Self.wellBefore / 1_000_000)) == 1, "readyEvent signalled (change \(lba))")
            #expect(collect(consumer, count: 1).count == 1)
        }
    }
}
