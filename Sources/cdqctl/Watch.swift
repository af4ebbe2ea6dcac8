import ArgumentParser
import CDQEngine
import CDQKernel
import CDQUring

/// `cdqctl watch`: the engine end to end on one queue. Creates a CDQ for a
/// migratable controller, starts logging, streams entries as they arrive,
/// and on Ctrl-C (or `--seconds`) stops logging, drains to the LAST entry
/// and deletes the queue.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stream a migratable controller's changed LBA ranges from a new CDQ until Ctrl-C.",
        discussion: """
            On /dev/nvmeN this needs a kernel with the CDQ RFC (NVME_IOCTL_CDQ) and a controller with \
            Controller Data Queues (TP4159). Queues of more than 128 entries need a 2 MiB hugepage \
            (/proc/sys/vm/nr_hugepages); without one the queue gets 128 entries and says why. \
            With --simulate it runs anywhere, against the simulated controller and random writers, \
            and checks at the end that every change produced was seen exactly once. \
            Rate statistics go to stderr every --interval seconds.
            """
    )

    @Argument(help: "NVMe controller character device, e.g. /dev/nvme0 (omit with --simulate).")
    var device: String?
    @Option(help: "CNTLID of the migratable controller.") var cntlid: UInt16
    @Option(help: "Queue size in 32-byte entries.") var entries: UInt32 = 128
    @Flag(help: "Print one JSON object per entry (JSON lines).") var json = false
    @Option(help: "Stop after this many seconds instead of waiting for Ctrl-C.") var seconds: Double?
    @Option(help: "Seconds between rate statistics on stderr.") var interval: Double = 1
    @Flag(help: "Watch a simulated controller with random writers instead of a device.") var simulate = false
    @Option(help: "With --simulate: writer threads.") var writers: Int = 1
    @Option(help: "With --simulate: writes per second, over all writers.") var writeRate: Double = 1000
    @Option(help: SimulatedRefusal.help) var simulatedRefusal: SimulatedRefusal?
    @Option(help: .hidden) var simulateFault: SimulatedFault?
    @OptionGroup var observability: ObservabilityOptions
    @OptionGroup var simulatedAdmin: SimulatedAdminOptions

    func validate() throws {
        try simulatedAdmin.check(simulate: simulate)
        guard simulate != (device != nil) else { throw ValidationError("give a controller device, or --simulate, not both") }
        try validateQueueEntries(entries, flag: "--entries")
        // Bounded so that the conversion to nanoseconds cannot trap.
        guard interval > 0, interval <= 1e9, (seconds ?? 1) > 0, (seconds ?? 1) <= 1e9 else {
            throw ValidationError("--interval and --seconds must be positive, at most 1e9 (about 31 years)")
        }
        if simulatedRefusal != nil && !simulate { throw ValidationError("--simulated-refusal needs --simulate") }
        if simulateFault != nil && !simulate { throw ValidationError("--simulate-fault needs --simulate") }
        if simulate {
            guard cntlid >= 1, cntlid <= 64 else { throw ValidationError("with --simulate, --cntlid is 1...64 (0 is the managing controller)") }
            guard writers >= 1, writers <= 64, writeRate.isFinite, writeRate > 0 else {
                throw ValidationError("--writers must be 1...64 and --write-rate a positive number")
            }
        }
    }

    func run() throws {
        // Before any thread starts, so every thread inherits the blocked mask.
        var signals = StopSignals()
        try runReportingErrors(json: json) {
            let export = try observability.start(verb: "watch")
            defer { export?.shutdown() }
            var configuration = EngineConfiguration()
            configuration.telemetryIntervalNanoseconds = UInt64(interval * 1e9)
            let engine = try Engine(configuration)
            defer { engine.shutdown() }
            let target = try simulate
                ? WatchTarget.simulated(cntlid: cntlid, writers: writers, writeRate: writeRate, refusal: simulatedRefusal,
                                        adminCost: simulatedAdmin.cost)
                : WatchTarget.device(device!)
            let consumer = try Consumer(capacity: 8192)
            let queue = try AttachedQueue(engine: engine, backend: target.backend, consumer: consumer, cntlid: cntlid, entries: entries)
            note("watching \(target.backend.name) CNTLID \(cntlid): CDQID \(queue.cdqid), \(queue.entryCount) entries; \(queue.memory.reason)")
            if let problem = (target.backend as? KernelQueueBackend)?.recordProblem { note(problem) }
            var stream = EntryStream(json: json, consumer: consumer)
            try target.startWriters()
            let stoppedBy = watch(&stream, engine: engine, queue: queue, target: target, signals: &signals)
            let produced = target.stopWriters()
            if let loss = stream.loss {
                // Nothing to stop: delete what may be left (the memory is kept if that fails).
                try? queue.detach()
                stream.drain()
                note("stopped (\(stoppedBy)): \(stream.summary(engine.statistics.totals))")
                throw QueueLost(loss: loss, cdqid: queue.cdqid)
            }
            let stopError: Error?
            do { try queue.stopLoggingAndDetach(); stopError = nil } catch { stopError = error }
            stream.drain()
            note("stopped (\(stoppedBy)): \(stream.summary(engine.statistics.totals))")
            if let stopError { throw stopError }
            if let produced { try check(seen: stream.changes, produced: produced, overflows: stream.overflows) }
        }
    }

    /// Streams until a signal or the deadline; returns what stopped it.
    private func watch(
        _ stream: inout EntryStream, engine: Engine, queue: AttachedQueue, target: WatchTarget, signals: inout StopSignals
    ) -> String {
        let start = MonotonicClock.nanoseconds()
        let deadline = seconds.map { start + UInt64($0 * 1e9) }
        var rates = RateReporter(intervalNanoseconds: UInt64(interval * 1e9), start: start)
        var fault = simulateFault
        while true {
            if let signal = signals.take() { return signal == 2 ? "SIGINT" : "SIGTERM" }
            if stream.loss != nil { return "queue lost" }
            if let pending = fault, MonotonicClock.nanoseconds() - start >= 300_000_000 {
                target.inject(pending, cntlid: cntlid)
                fault = nil
            }
            let now = MonotonicClock.nanoseconds()
            if let deadline, now >= deadline { return "after \(seconds!) s" }
            stream.wait(timeoutNanoseconds: 50_000_000)
            stream.drain()
            if let line = rates.line(now: MonotonicClock.nanoseconds(), statistics: engine.statistics(of: queue.handle)) { note(line) }
        }
    }

    /// With --simulate, every change the writers made must have been seen once.
    private func check(seen: UInt64, produced: UInt64, overflows: UInt64) throws {
        guard seen != produced else { return }
        throw WatchMismatch(seen: seen, produced: produced, overflows: overflows)
    }
}

/// The engine lost the watched queue: the controller forgot it or went away.
struct QueueLost: Error, CustomStringConvertible {
    let loss: QueueLoss, cdqid: UInt16
    var description: String { "CDQID \(cdqid) was lost: \(loss.description); nothing more can be watched" }
}

struct WatchMismatch: Error, CustomStringConvertible {
    let seen: UInt64, produced: UInt64, overflows: UInt64
    var description: String {
        "saw \(seen) changes but the writers made \(produced)"
            + (overflows > 0 ? " (the queue overflowed \(overflows) times: give it more entries or a lower --write-rate)" : "")
    }
}

/// A line on stderr (stdout carries only results), prefixed with the verb.
func note(_ line: String, verb: String = "watch") {
    var stderr = StandardError()
    print("cdqctl \(verb): \(line)", to: &stderr)
}
