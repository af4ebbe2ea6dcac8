import ArgumentParser
import CDQEngine
import CDQSim

#if canImport(Glibc)
import Glibc
#endif

/// `cdq-sim`: runs the engine's queue protocol core against a model
/// controller, one seed at a time (docs/testing.md).
@main
struct CDQSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdq-sim",
        abstract: "Deterministic simulation of the CDQ protocol: seeded faults, replayable runs.")

    @Option(help: "Run this one seed (replays it exactly).")
    var seed: UInt64?

    @Option(help: "Run this many seeds, from --first on, and print one summary line.")
    var seeds: Int?

    @Option(help: "The first seed of --seeds.")
    var first: UInt64 = 1

    @Flag(help: "With --seed: print every event of the run.")
    var trace = false

    @Option(help: "Break one rule of the core on purpose: \(PlantedBug.allCases.map(\.rawValue).joined(separator: ", ")).")
    var plantedBug: String?

    func validate() throws {
        guard (seed == nil) != (seeds == nil) else { throw ValidationError("give exactly one of --seed and --seeds") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        if let plantedBug, PlantedBug(rawValue: plantedBug) == nil {
            throw ValidationError("unknown --planted-bug \(plantedBug)")
        }
        if trace && seed == nil { throw ValidationError("--trace needs --seed") }
    }

    func run() throws {
        let bug = plantedBug.flatMap(PlantedBug.init(rawValue:))
        if let seed {
            let outcome = Simulation(seed: seed, plantedBug: bug, traceAll: trace).run()
            if trace {
                print(outcome.header)
                for line in outcome.events { print(line) }
            }
            if outcome.violation != nil {
                print(SeedRunner.report(outcome))
                throw ExitCode(1)
            }
            print("seed \(seed): ok (\(outcome.faults))")
            return
        }
        let started = Self.seconds()
        let summary = SeedRunner.run(first: first, count: seeds ?? 0, plantedBug: bug)
        let elapsed = max(Self.seconds() - started, 1e-9)
        if let outcome = summary.firstViolation { print(SeedRunner.report(outcome)) }
        let rate = Double(summary.seeds) / elapsed
        print("seeds \(summary.seeds) violations \(summary.violations) seeds/s \((rate * 10).rounded() / 10)")
        if summary.violations > 0 { throw ExitCode(1) }
    }

    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
