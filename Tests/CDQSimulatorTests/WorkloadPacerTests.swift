import CDQSimulator
import Testing

@Suite struct WorkloadPacerTests {
    @Test func operationsAreOneIntervalApart() {
        var pacer = WorkloadPacer(operationsPerSecond: 1000)
        #expect(pacer.intervalNanoseconds == 1_000_000)
        #expect(pacer.delayBeforeNext(now: 0) == 0, "the first operation goes at once")
        #expect(pacer.delayBeforeNext(now: 0) == 1_000_000)
        #expect(pacer.delayBeforeNext(now: 999_999) == 1)
        #expect(pacer.delayBeforeNext(now: 1_000_000) == 0)
        #expect(pacer.delayBeforeNext(now: 1_500_000) == 500_000)
    }

    @Test(arguments: [1.0, 333.0, 20_000.0, 1_000_000.0])
    func aSimulatedSecondHoldsTheRate(rate: Double) {
        var pacer = WorkloadPacer(operationsPerSecond: rate)
        var now: UInt64 = 0
        var issued = 0
        // Ask at irregular times, as a thread that oversleeps would, for one
        // simulated second.
        while now <= 1_000_000_000 {
            let delay = pacer.delayBeforeNext(now: now)
            if delay == 0 { issued += 1 } else { now += delay + delay / 3 }
        }
        // Operations due at 0, 1/rate, ..., 1 s, minus at most the burst
        // lost to oversleeping at the very end.
        #expect(abs(Double(issued) - (rate + 1)) <= max(2, rate / 1000), "issued \(issued)")
    }

    @Test func catchingUpIsBoundedByTheBurst() {
        var pacer = WorkloadPacer(operationsPerSecond: 1000, maximumBurst: 5)
        #expect(pacer.delayBeforeNext(now: 0) == 0)
        // A one-second stall: 1000 operations overdue, only 5 go at once.
        let now: UInt64 = 1_000_000_000
        var burst = 0
        while pacer.delayBeforeNext(now: now) == 0 { burst += 1 }
        #expect(burst == 5)
        // Then the regular spacing resumes.
        #expect(pacer.delayBeforeNext(now: now) == 1_000_000)
        #expect(pacer.delayBeforeNext(now: now + 1_000_000) == 0)
        #expect(pacer.delayBeforeNext(now: now + 1_000_000) == 1_000_000)
    }

    @Test func slowRatesWaitSeconds() {
        var pacer = WorkloadPacer(operationsPerSecond: 0.5)
        #expect(pacer.delayBeforeNext(now: 0) == 0)
        #expect(pacer.delayBeforeNext(now: 0) == 2_000_000_000)
        #expect(pacer.maximumBurst == WorkloadPacer.defaultMaximumBurst)
        var glacial = WorkloadPacer(operationsPerSecond: 1e-30)
        #expect(glacial.delayBeforeNext(now: 0) == 0)
        #expect(glacial.delayBeforeNext(now: 0) == 1_000_000_000_000_000_000, "capped, not an overflow")
    }
}
