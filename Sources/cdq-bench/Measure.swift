import CDQUring
import Foundation

/// Which way of consuming a run measures.
enum Side: String {
    case engine, baseline
    /// The engine driven by the consuming thread (`Engine.poll`).
    case runToCompletion = "run-to-completion"
}

/// What one run looks like: the queues, the load, how long.
struct RunPlan {
    var queues: Int
    var entries: UInt32
    var seconds: Double
    var pace: Pace
    var baselineThreads: Int

    enum Pace {
        case fullSpeed
        case rate(Double)
        case oneAtATime(gapNanoseconds: UInt64)
    }
}

/// One run of one side, from a fresh simulated subsystem: set up the
/// queues, start the writer, measure for `seconds`, stop the writer, stop
/// logging on every queue and wait until the side consumed every LAST
/// entry, then close the books. Costs are counted from the writer's start
/// to the last LAST entry.
func measure(_ side: Side, _ plan: RunPlan) throws -> SideResult {
    let rig = try Rig(queues: plan.queues)
    defer { rig.stop() }
    let probe: LatencyProbe?
    let pace: LoadGenerator.Pace
    switch plan.pace {
    case .fullSpeed: (probe, pace) = (nil, .fullSpeed(burst: 16))
    case .rate(let perSecond): (probe, pace) = (nil, .rate(perSecond: perSecond))
    case .oneAtATime(let gap):
        let shared = LatencyProbe()
        (probe, pace) = (shared, .oneAtATime(shared, gapNanoseconds: gap))
    }
    let consumer: ConsumerSide = switch side {
    case .engine: try EngineSide(rig: rig, entries: plan.entries, probe: probe)
    case .baseline: try BaselineSide(rig: rig, entries: plan.entries, threads: plan.baselineThreads, probe: probe)
    case .runToCompletion: try RunToCompletionSide(rig: rig, entries: plan.entries, probe: probe)
    }
    // Let the set-up traffic (first head updates, FIRST entries) settle.
    MonotonicClock.sleep(nanoseconds: 50_000_000)
    let generator = LoadGenerator(controllers: rig.subsystem.controllers, entryCount: plan.entries, pace: pace)

    // Thread ids, so a trace (strace -ff) can be matched to the counters.
    log("\(side.rawValue) threads: \(consumer.consumerThreads.map(String.init).joined(separator: ","))")
    let countersBefore = consumer.counters
    let cpuBefore = ThreadClock.runtime(consumer.consumerThreads)
    let controllerBefore = ThreadClock.runtime(rig.controllerThreads)
    let start = MonotonicClock.nanoseconds()
    let (_, writerThreads) = try ThreadClock.spawned { try generator.start() }
    MonotonicClock.sleep(nanoseconds: UInt64(plan.seconds * 1e9))
    let writerCPU = ThreadClock.runtime(writerThreads)
    let written = generator.stop()
    consumer.stopLogging()
    let deadline = MonotonicClock.nanoseconds() + 30_000_000_000
    while consumer.lastsSeen < plan.queues && MonotonicClock.nanoseconds() < deadline {
        MonotonicClock.sleep(nanoseconds: 200_000)
    }
    let elapsed = MonotonicClock.nanoseconds() - start
    let counters = consumer.counters - countersBefore
    let cpu = ThreadClock.runtime(consumer.consumerThreads) - cpuBefore
    let controllerCPU = ThreadClock.runtime(rig.controllerThreads) - controllerBefore
    let books = consumer.finish(written: written)
    if consumer.lastsSeen < plan.queues {
        log("\(side.rawValue): only \(consumer.lastsSeen) of \(plan.queues) LAST entries arrived within 30 s")
    }
    var result = SideResult()
    result.add(SideResult(
        runs: 0, entries: books.delivered, nanoseconds: elapsed, consumerCPU: cpu, controllerCPU: controllerCPU,
        writerCPU: writerCPU, counters: counters, lost: books.lost, duplicated: books.duplicated,
        overflows: books.overflows, p50: books.p50, p99: books.p99, p999: books.p999))
    return result
}

/// Runs the sides in turn (engine and baseline unless told), `rounds` times each.
func alternate(_ scenario: String, _ plan: RunPlan, rounds: Int, only: Side?,
               sides: [Side] = [.engine, .baseline]) throws -> ScenarioResult {
    var result = ScenarioResult(scenario: scenario, queues: plan.queues, seconds: plan.seconds)
    for round in 1...rounds {
        for side in sides where only == nil || only == side {
            log("\(scenario) \(plan.queues) queues: \(side.rawValue), round \(round) of \(rounds)")
            let run = try measure(side, plan)
            switch side {
            case .engine: result.engine.add(run)
            case .baseline: result.baseline.add(run)
            case .runToCompletion: result.runToCompletion.add(run)
            }
        }
    }
    return result
}

/// Progress goes to standard error, so standard output stays the report.
func log(_ line: String) {
    FileHandle.standardError.write(Data(("cdq-bench: " + line + "\n").utf8))
}
