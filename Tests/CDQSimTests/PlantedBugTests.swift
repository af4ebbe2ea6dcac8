import CDQEngine
import CDQSim
import Testing

/// The simulation has teeth: each rule broken on purpose in the core is
/// found within a stated number of seeds, and the unbroken core passes them.
@Suite struct PlantedBugTests {
    /// Each planted bug is found within this many seeds (docs/testing.md).
    static let seedsToFind = 50

    @Test(arguments: PlantedBug.allCases)
    func aPlantedBugIsFound(_ bug: PlantedBug) {
        let summary = SeedRunner.run(first: 1, count: Self.seedsToFind, plantedBug: bug)
        #expect(summary.violations == 1, "\(bug.rawValue) not found in \(Self.seedsToFind) seeds")
        #expect(summary.firstViolation?.violation != nil)
    }

    @Test func theCoreAsShippedPassesTheSameSeeds() {
        let summary = SeedRunner.run(first: 1, count: 200)
        #expect(summary.violations == 0, "\(summary.firstViolation.map(SeedRunner.report) ?? "")")
        #expect(summary.entriesDelivered > 10_000)
    }
}
