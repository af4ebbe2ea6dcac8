import CDQEngine
import CDQSimulator
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
    /// How the simulated controller spends time on admin commands.
    var adminCost = AdminCost.free
    /// The writer stamps every change so delivery (write to consumer) is measured.
    var stampsDelivery = false
    /// Queues may overflow (the writer does not skip full ones); the first
    /// overflow ends the run, and changes an ESA 7 entry reported lost are
    /// not counted against the books (`headroom`).
    var overflowEnds = false
    /// The engine wakes on every entry (`.nextEntry`), as a latency-critical
    /// embedder configures it (`latency`); otherwise its default, moderated.
    var wakesOnEveryEntry = false
    /// The moderated engine's delivery budget; nil: `EngineConfiguration`'s (1 ms).
    var deliveryBudgetNanoseconds: UInt64? = nil

    enum Pace {
        case fullSpeed
        case rate(Double)
        case oneAtATime(gapNanoseconds: UInt64)
    }
}

extension RunPlan {
    /// Both engine sides' configuration: `.nextEntry` for a latency-critical
    /// run (an embedder that wants every entry at once: moderation would
    /// hold a lone entry for up to its budget to save wake-ups), else the
    /// moderated default with the plan's budget.
    func engineConfiguration() -> EngineConfiguration {
        var configuration = EngineConfiguration(maximumQueues: queues, trigger: wakesOnEveryEntry ? .nextEntry : .moderated)
        if let deliveryBudgetNanoseconds { configuration.deliveryBudgetNanoseconds = deliveryBudgetNanoseconds }
        return configuration
    }
}

/// One run of one side, from a fresh simulated subsystem: set up the
/// queues, start the writer, measure for `seconds`, stop the writer, stop
/// logging on every queue and wait until the side consumed every LAST
/// entry, then close the books. Costs are counted from the writer's start
/// to the last LAST entry.
func measure(_ side: Side, _ plan: RunPlan) throws -> SideResult {
    let rig = try Rig(queues: plan.queues, adminCost: plan.adminCost)
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
    let stamps = plan.stampsDelivery ? DeliveryStamps(queues: plan.queues, entries: plan.entries) : nil
    let consumer: ConsumerSide = switch side {
    case .engine: try EngineSide(rig: rig, entries: plan.entries, probe: probe, stamps: stamps,
                                 configuration: plan.engineConfiguration())
    case .baseline: try BaselineSide(rig: rig, entries: plan.entries, threads: plan.baselineThreads, probe: probe, stamps: stamps)
    case .runToCompletion: try RunToCompletionSide(rig: rig, entries: plan.entries, probe: probe, stamps: stamps,
                                                   configuration: plan.engineConfiguration())
    }
    // Let the set-up traffic (first head updates, FIRST entries) settle.
    MonotonicClock.sleep(nanoseconds: 50_000_000)
    let generator = LoadGenerator(controllers: rig.subsystem.controllers, entryCount: plan.entries, pace: pace,
                                  stamps: stamps, skipsFullQueues: !plan.overflowEnds)

    // Thread ids, so a trace (strace -ff) can be matched to the counters.
    log("\(side.rawValue) threads: \(consumer.consumerThreads.map(String.init).joined(separator: ","))")
    let countersBefore = consumer.counters
    let cpuBefore = ThreadClock.runtime(consumer.consumerThreads)
    let controllerBefore = ThreadClock.runtime(rig.controllerThreads)
    let adminBefore = rig.runner.adminStatistics
    let start = MonotonicClock.nanoseconds()
    let (_, writerThreads) = try ThreadClock.spawned { try generator.start() }
    waitOrOverflow(rig, until: start + UInt64(plan.seconds * 1e9), watching: plan.overflowEnds)
    let writerCPU = ThreadClock.runtime(writerThreads)
    let written = generator.stop()
    let writerNanoseconds = MonotonicClock.nanoseconds() - start
    // Track Send stop posts nothing into a full queue, and its LAST entry
    // would be replaced by ESA 7 in a nearly full one: let the side make room first.
    waitUntilEveryQueueHasRoomForLAST(rig)
    consumer.stopLogging()
    let deadline = MonotonicClock.nanoseconds() + 30_000_000_000
    while consumer.lastsSeen < plan.queues && MonotonicClock.nanoseconds() < deadline {
        MonotonicClock.sleep(nanoseconds: 200_000)
    }
    let elapsed = MonotonicClock.nanoseconds() - start
    let counters = consumer.counters - countersBefore
    let cpu = ThreadClock.runtime(consumer.consumerThreads) - cpuBefore
    let controllerCPU = ThreadClock.runtime(rig.controllerThreads) - controllerBefore
    let admin = rig.runner.adminStatistics
    let lostToOverflow = rig.subsystem.controllers.reduce(0) { $0 + $1.lostChanges }
    var books = consumer.finish(written: written)
    if plan.overflowEnds {
        // Changes an ESA 7 entry reported lost are the overflow itself; only a loss beyond them is the side's.
        if books.lost < lostToOverflow { log("\(side.rawValue): the books saw \(books.lost) of \(lostToOverflow) changes the controller lost") }
        books.lost -= min(books.lost, lostToOverflow)
    }
    if consumer.lastsSeen < plan.queues {
        log("\(side.rawValue): only \(consumer.lastsSeen) of \(plan.queues) LAST entries arrived within 30 s")
    }
    var result = SideResult()
    result.add(SideResult(
        runs: 0, entries: books.delivered, nanoseconds: elapsed, consumerCPU: cpu, controllerCPU: controllerCPU,
        writerCPU: writerCPU, counters: counters, lost: books.lost, duplicated: books.duplicated,
        overflows: books.overflows, p50: books.p50, p99: books.p99, p999: books.p999,
        // One change at a time, the probe's figures are the delivery (write to consumer).
        delivery: probe != nil ? (books.p50, books.p99, books.p999) : books.delivery.flatMap { $0.totalCount > 0 ? percentiles($0) : nil },
        aerRearms: admin.aerRearms - adminBefore.aerRearms, peakAdminOccupancy: admin.peakOccupancy,
        written: written.reduce(0, +), writerNanoseconds: writerNanoseconds,
        timerWakeups: admin.timedWakeups - adminBefore.timedWakeups,
        timerLatenessNanoseconds: admin.totalLatenessNanoseconds - adminBefore.totalLatenessNanoseconds,
        timerLatenessMaximum: admin.maximumLatenessNanoseconds, lostToOverflow: lostToOverflow))
    return result
}

/// Sleeps until `deadline`; when `watching`, returns early once any
/// controller lost a change (an ESA 7 entry, or a write into a full queue).
private func waitOrOverflow(_ rig: Rig, until deadline: UInt64, watching: Bool) {
    while true {
        let now = MonotonicClock.nanoseconds()
        guard now < deadline else { return }
        MonotonicClock.sleep(nanoseconds: min(deadline - now, 10_000_000))
        if watching && rig.subsystem.controllers.contains(where: { $0.lostChanges > 0 }) { return }
    }
}

/// Waits (at most 30 s) until the side has handed back enough of every
/// queue that one more entry does not fill it (`entries - 3` outstanding
/// at most), as the writer leaves it when it skips nearly full queues.
private func waitUntilEveryQueueHasRoomForLAST(_ rig: Rig) {
    let deadline = MonotonicClock.nanoseconds() + 30_000_000_000
    func crowded(_ controller: SimulatedController) -> Bool {
        guard let queue = controller.queueSnapshot else { return false }
        return queue.full || queue.outstanding + 2 >= queue.entryCount
    }
    while rig.subsystem.controllers.contains(where: crowded) && MonotonicClock.nanoseconds() < deadline {
        MonotonicClock.sleep(nanoseconds: 1_000_000)
    }
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
