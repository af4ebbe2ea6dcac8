import CDQSim
import Testing

/// A seed is a replayable run: the same seed gives the same trace.
@Suite struct ReplayTests {
    @Test func aSeedReplaysByteForByte() {
        for seed: UInt64 in [1, 7, 42] {
            let first = Simulation(seed: seed, traceAll: true).run()
            let second = Simulation(seed: seed, traceAll: true).run()
            #expect(first.events == second.events)
            #expect(first.events.count > 100)
        }
    }
}

extension ReplayTests {
    /// A violation's report names the seed, the faults and the last events,
    /// and replaying that seed finds the same violation.
    @Test func aViolationReplaysFromItsSeed() throws {
        let summary = SeedRunner.run(first: 1, count: 50, plantedBug: .secondHeadUpdateInFlight)
        let found = try #require(summary.firstViolation)
        let report = SeedRunner.report(found)
        #expect(report.contains("seed \(found.seed) faults \(found.faults)"))
        #expect(report.contains("cdq-sim --seed \(found.seed) --trace"))
        let again = Simulation(seed: found.seed, plantedBug: .secondHeadUpdateInFlight).run()
        #expect(again.violation == found.violation)
        #expect(again.events == found.events)
    }
}

/// Seeds that once found a defect, kept as regressions.
@Suite struct FoundSeedTests {
    /// A scan that stopped at the drain batch, not at an old phase, waited
    /// for the next head update's completion to go on: one batch per admin
    /// round trip, past the liveness bound with a batch of 1.
    @Test func aScanStoppedByTheBatchScansAgainNextTurn() {
        let outcome = Simulation(seed: 5264).run()
        #expect(outcome.violation == nil, "\(outcome.violation ?? "")")
    }
}
