// cdq-bench: the engine against the synchronous baseline of today's tools,
// side by side in one process run, on the simulated controller.

import ArgumentParser
import CDQEngine
import CDQSimulator
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct CDQBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdq-bench",
        abstract: "Measures the CDQ engine against a synchronous baseline (docs/benchmarks.md).",
        discussion: """
        Scenarios:
          throughput  Q queues (default 256), writers at full speed: entries/s, CPU and system calls per entry
          latency     one queue, one change at a time with a gap: write-to-consumer latency, the engine
                      also run to completion (its consuming thread polls it)
          scale       1, 16, 256 and 4096 queues (or --queues) at a fixed total rate: cost per wake-up
          drain       the phase-tag drain alone on filled queue memory, beside a plain memcpy
          moderate    256 queues at 50,000 changes/s in total, admin latency 100 µs, service 10 µs:
                      CPU, admin commands, wake-ups, system calls per entry; delivery p50/p99/p99.9;
                      beside them the wake-up floor, what a thread that only wakes once per scan
                      interval costs per entry on this machine
          headroom    256 queues of 128 entries at 1,000,000 changes/s, admin service 10 µs: the highest
                      admin latency each side tolerates without an overflow for --seconds (double, then bisect)
        Engine and baseline run alternately in the same process. Every run checks that each change
        arrived exactly once and in order (in headroom: or was reported lost by an ESA 7 entry); the
        exit status is 1 if any was lost or duplicated. The simulated controller serves admin commands
        under --admin-latency-us and --admin-service-us, 32 at a time (docs/simulator.md).
        """)

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case throughput, latency, scale, drain, moderate, headroom
    }

    @Argument(help: "throughput, latency, scale, drain, moderate or headroom.")
    var scenario: Scenario

    @Option(help: "Queues (one simulated controller each). Default: 256 for throughput, 1 for latency, 1/16/256/4096 for scale.")
    var queues: Int?

    @Option(help: "Seconds each side runs per round.")
    var seconds: Double = 5

    @Option(help: "Rounds; each runs the engine, then the baseline.")
    var rounds: Int = 2

    @Option(help: "Total changes per second: scale and moderate (default 50000), headroom (default 1000000).")
    var rate: Double?

    @Option(help: "Entries per queue (128 is one page). Default: 4096; scale and moderate 256 to 4096 by queue count; headroom 128.")
    var entries: UInt32?

    @Option(help: "Admin latency per command, µs (admission to completion). Default 0; moderate 100; headroom: the first latency probed (10).")
    var adminLatencyUs: Double?

    @Option(help: "Admin service time per command, µs (one command at a time). Default 0; moderate and headroom 10.")
    var adminServiceUs: Double?

    @Option(help: "The moderated engine's delivery budget, µs (100...1000000). Default: the engine's, 1000.")
    var deliveryBudgetUs: Double?

    @Option(help: "Baseline worker threads. Default: one per online CPU.")
    var baselineThreads: Int?

    @Option(help: ArgumentHelp("Run one side only (for tracing it alone).", visibility: .hidden))
    var only: String?

    @Flag(help: "Print one JSON object per scenario (per queue count for scale) instead of tables.")
    var json = false

    func validate() throws {
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be 1...100") }
        if let queues, !(1...4096).contains(queues) { throw ValidationError("--queues must be 1...4096") }
        if scenario == .latency, let queues, queues != 1 { throw ValidationError("latency measures one queue: --queues 1") }
        if scenario == .drain, let queues, queues != 1 { throw ValidationError("drain measures one queue: --queues 1") }
        if let rate, !(rate > 0 && rate <= 10_000_000) { throw ValidationError("--rate must be in (0, 10000000]") }
        if let entries, !(16...SimulatedSubsystem.maximumQueueEntries).contains(entries) {
            throw ValidationError("--entries must be 16...\(SimulatedSubsystem.maximumQueueEntries)")
        }
        for (value, name) in [(adminLatencyUs, "--admin-latency-us"), (adminServiceUs, "--admin-service-us")] {
            if let value, let problem = AdminCost.problem(microseconds: value, name: name) { throw ValidationError(problem) }
        }
        if scenario == .drain, entries != nil || adminLatencyUs != nil || adminServiceUs != nil {
            throw ValidationError("drain reads filled memory without a controller: --entries and --admin-* do not apply")
        }
        if scenario == .headroom, let adminLatencyUs, adminLatencyUs <= 0 {
            throw ValidationError("headroom doubles the admin latency from --admin-latency-us: it must be > 0")
        }
        // Compared as Double: a huge value must be refused, not converted.
        let budgets = EngineConfiguration.deliveryBudgetRange
        let (fewest, most) = (budgets.lowerBound / 1_000, budgets.upperBound / 1_000)
        if let deliveryBudgetUs, !(deliveryBudgetUs >= Double(fewest) && deliveryBudgetUs <= Double(most)) {
            throw ValidationError("--delivery-budget-us must be \(fewest)...\(most)")
        }
        if scenario == .drain, deliveryBudgetUs != nil { throw ValidationError("drain has no engine loop: --delivery-budget-us does not apply") }
        if let baselineThreads, !(1...256).contains(baselineThreads) { throw ValidationError("--baseline-threads must be 1...256") }
        if let only, Side(rawValue: only) == nil { throw ValidationError("--only takes engine, baseline or run-to-completion") }
    }

    func run() throws {
        raiseDescriptorLimit()
        let results: [ScenarioResult]
        do {
            results = try runScenario()
        } catch let error as ExitCode {
            throw error
        } catch {
            log("\(error)")
            throw ExitCode(3)
        }
        for result in results {
            print(json ? result.jsonLine : result.table + "\n")
        }
        fflush(nil) // all streams: stdout is a C global Swift 6 will not touch directly
        let unclean = results.filter { !$0.clean }
        if !unclean.isEmpty {
            log("exactly-once check FAILED: " + unclean.map { "\($0.scenario)/\($0.queues): lost \($0.lost), duplicated \($0.duplicated)" }.joined(separator: "; "))
            throw ExitCode(1)
        }
    }

    private var deliveryBudget: UInt64? { deliveryBudgetUs.map { UInt64($0 * 1_000) } }

    private func runScenario() throws -> [ScenarioResult] {
        let side = only.flatMap(Side.init(rawValue:))
        let threads = baselineThreads ?? BaselineSide.defaultThreads
        switch scenario {
        case .throughput:
            let count = queues ?? 256
            let plan = RunPlan(queues: count, entries: entries ?? 4096, seconds: seconds, pace: .fullSpeed, baselineThreads: threads,
                               adminCost: adminCost(),
                               deliveryBudgetNanoseconds: deliveryBudget)
            return [try alternate("throughput", plan, rounds: rounds, only: side).described(plan)]
        case .latency:
            var plan = RunPlan(queues: 1, entries: entries ?? 4096, seconds: seconds, pace: .oneAtATime(gapNanoseconds: 200_000),
                               baselineThreads: threads, adminCost: adminCost(),
                               deliveryBudgetNanoseconds: deliveryBudget)
            plan.wakesOnEveryEntry = true
            return [try alternate("latency", plan, rounds: rounds, only: side, sides: [.engine, .runToCompletion, .baseline]).described(plan)]
        case .scale:
            let rate = rate ?? 50_000
            return try (queues.map { [$0] } ?? [1, 16, 256, 4096]).map { count in
                let plan = RunPlan(queues: count, entries: entries ?? Self.scaleEntries(count), seconds: seconds, pace: .rate(rate),
                                   baselineThreads: threads, adminCost: adminCost(), stampsDelivery: true,
                               deliveryBudgetNanoseconds: deliveryBudget)
                var result = try alternate("scale", plan, rounds: rounds, only: side).described(plan)
                result.extra["rate"] = rate
                return result
            }
        case .drain:
            return [DrainScenario(seconds: seconds, rounds: rounds).run()]
        case .moderate:
            let count = queues ?? 256
            let rate = rate ?? 50_000
            let plan = RunPlan(queues: count, entries: entries ?? Self.scaleEntries(count), seconds: seconds, pace: .rate(rate),
                               baselineThreads: threads, adminCost: adminCost(latency: 100, service: 10), stampsDelivery: true,
                               deliveryBudgetNanoseconds: deliveryBudget)
            // Threaded and run to completion, both moderated (the default).
            var result = try alternate("moderate", plan, rounds: rounds, only: side,
                                       sides: [.engine, .runToCompletion, .baseline]).described(plan)
            result.extra["rate"] = rate
            // What waking once per scan interval costs here, whatever the design.
            let interval = QueueProtocol.scanInterval(budget: plan.engineConfiguration().deliveryBudgetNanoseconds)
            log("moderate: the wake-up floor (every \(interval / 1000) us)")
            result.add(try WakeupFloor.measure(intervalNanoseconds: interval, seconds: min(seconds, 3)), rate: rate)
            return [result]
        case .headroom:
            let rate = rate ?? 1_000_000
            let plan = RunPlan(queues: queues ?? 256, entries: entries ?? 128, seconds: seconds, pace: .rate(rate),
                               baselineThreads: threads, adminCost: adminCost(service: 10), overflowEnds: true,
                               deliveryBudgetNanoseconds: deliveryBudget)
            return [try HeadroomScenario(plan: plan, rate: rate, startMicroseconds: adminLatencyUs ?? 10, only: side).run()]
        }
    }

    /// The admin cost the options ask for, over the scenario's defaults (µs).
    private func adminCost(latency: Double = 0, service: Double = 0) -> AdminCost {
        AdminCost(latencyMicroseconds: adminLatencyUs ?? latency, serviceMicroseconds: adminServiceUs ?? service)
    }

    /// 32 MiB of queue memory in all, 256 to 4096 entries per queue.
    static func scaleEntries(_ queues: Int) -> UInt32 {
        UInt32(min(4096, max(256, (1 << 20) / queues)))
    }

    /// 4096 queues need two descriptors each (ours and the controller's copy).
    private func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
