import CDQEngine

/// Runs many seeds, one after the other, and stops at the first violation.
package enum SeedRunner {
    package struct Summary {
        package var seeds = 0
        package var violations = 0
        /// The first violating run, if any.
        package var firstViolation: Simulation.Outcome?
        package var entriesDelivered = 0
    }

    /// Seeds `first ..< first + count`; stops at the first violation.
    package static func run(first: UInt64, count: Int, plantedBug: PlantedBug? = nil) -> Summary {
        var summary = Summary()
        for seed in first ..< first + UInt64(count) {
            let simulation = Simulation(seed: seed, plantedBug: plantedBug)
            let outcome = simulation.run()
            summary.seeds += 1
            summary.entriesDelivered += simulation.delivered
            if outcome.violation != nil {
                summary.violations += 1
                summary.firstViolation = outcome
                break
            }
        }
        return summary
    }

    /// The report of a violating run: seed, faults, the violation, the last events.
    package static func report(_ outcome: Simulation.Outcome) -> String {
        var lines = ["VIOLATION \(outcome.violation ?? "")", outcome.header, "last events:"]
        lines += outcome.events.map { "  " + $0 }
        lines.append("replay: cdq-sim --seed \(outcome.seed) --trace")
        return lines.joined(separator: "\n")
    }
}
