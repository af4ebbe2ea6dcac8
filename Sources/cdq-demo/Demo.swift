import Atomics
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Builds the subsystem, the engine and the queues, runs the writers and the
/// consumer for the given time, then stops logging and checks the books.
struct Demo {
    let options: DemoOptions

    init(_ options: DemoOptions) { self.options = options }

    func run() throws -> DemoSummary {
        let subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: options.controllers, namespaceCapacity: 1 << 21, backing: .discard))
        let runner = try ControllerRunner(subsystem: subsystem)
        try runner.start()
        defer { runner.stop() }
        let engine = try Engine(EngineConfiguration(maximumQueues: options.controllers))
        defer { engine.shutdown() }
        let transport = SimulatorTransport(channel: try runner.openChannel(depth: max(64, options.controllers)))
        let backend = SimulatedQueueBackend(subsystem: subsystem, transport: transport)
        let consumer = try Consumer(capacity: 16_384)
        var queues: [AttachedQueue] = []
        for cntlid in 1...options.controllers {
            queues.append(try AttachedQueue(engine: engine, backend: backend, consumer: consumer,
                                            cntlid: UInt16(cntlid), entries: options.entries))
        }
        let tally = Tally(queues: options.controllers)
        let consuming = try OSThread(name: "consumer") { tally.consume(consumer) }
        let writers = try startWriters(subsystem)

        let start = MonotonicClock.nanoseconds()
        let end = start + UInt64(options.seconds * 1e9)
        while MonotonicClock.nanoseconds() < end {
            MonotonicClock.sleep(nanoseconds: 250_000_000)
            printProgress(tally, writers, elapsed: MonotonicClock.nanoseconds() - start)
        }
        let produced = writers.map { $0.stop().operations }
        // Stop logging: each queue's last entry is LAST (logging stopped).
        for queue in queues { try? queue.stopLogging() }
        tally.waitForLast(count: options.controllers, timeoutNanoseconds: 5_000_000_000)
        let elapsed = MonotonicClock.nanoseconds() - start
        tally.stop()
        consuming.join()
        queues.forEach { try? $0.detach() }
        print("")
        return DemoSummary(produced: produced, tally: tally, queues: queues, elapsedNanoseconds: elapsed,
                           statistics: engine.statistics, latency: engine.wakeupLatency)
    }

    private func startWriters(_ subsystem: SimulatedSubsystem) throws -> [WorkloadGenerator] {
        try subsystem.controllers.map { controller in
            let writer = WorkloadGenerator(
                target: controller, nsid: UInt32(controller.cntlid), capacity: 1 << 21, lbaSize: 512,
                spec: WorkloadSpec(pattern: .uniform, writesPerSecond: options.writesPerSecondPerController,
                                   seed: UInt64(controller.cntlid), storesData: false))
            try writer.start()
            return writer
        }
    }

    private func printProgress(_ tally: Tally, _ writers: [WorkloadGenerator], elapsed: UInt64) {
        let produced = writers.reduce(0) { $0 + $1.statistics.operations }
        let delivered = tally.changes
        let seconds = Double(elapsed) / 1e9
        let line = "  \(format(seconds, 1)) s  produced \(produced)  delivered \(delivered)  "
            + "\(format(Double(delivered) / seconds / 1e6, 2)) M entries/s"
        let prefix = isatty(1) != 0 ? "\r" : ""
        let suffix = isatty(1) != 0 ? "" : "\n"
        print(prefix + line, terminator: suffix)
        fflush(nil) // all streams: stdout is a C global Swift 6 will not touch directly
    }
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded() / scale
    return String(scaled)
}
