import Atomics
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The soak: `queues` simulated controllers' CDQs on one engine, writers
/// that trickle and burst (small queues, so bursts overflow), a fault
/// schedule that changes every second (events dropped, masked, delayed;
/// head updates failing), and queue churn (16 queues detached and attached
/// again every 100 ms).
/// Samples resources every second; fails if they grow past `GrowthBound`.
final class Soak: @unchecked Sendable {
    // @unchecked: `churnQueues` and `lifecycle` are set before the churn
    // thread starts and then used by it alone; writers use the controllers,
    // which are thread-safe.
    let queueCount: Int
    let seconds: Int
    let subsystem: SimulatedSubsystem
    let stopping = ManagedAtomic<Bool>(false)
    let delivered = ManagedAtomic<Int>(0)
    let overflows = ManagedAtomic<Int>(0)
    let churned = ManagedAtomic<Int>(0)
    /// Handed to the churn thread before it starts, and owned by it after.
    private var churnQueues: [AttachedQueue?] = []
    private var lifecycle: Lifecycle?

    /// What attaching a queue needs.
    struct Lifecycle {
        var engine: Engine
        var backend: SimulatedQueueBackend
        var consumer: Consumer
    }
    let entries: UInt32 = 64

    init(queues: Int, seconds: Int) throws {
        queueCount = queues
        self.seconds = seconds
        subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: queues, namespaceCapacity: 1 << 20, backing: .discard))
    }

    func run() throws -> Bool {
        let runner = try ControllerRunner(subsystem: subsystem)
        try runner.start()
        defer { runner.stop() }
        // Overflows and refused head updates are the soak's daily bread:
        // the engine's per-queue log lines would be thousands a second.
        var configuration = EngineConfiguration(maximumQueues: queueCount)
        var logger = Logger(label: "cdq.soak")
        logger.logLevel = .critical
        configuration.logger = logger
        let engine = try Engine(configuration)
        defer { engine.shutdown() }
        let transport = SimulatorTransport(channel: try runner.openChannel(depth: 256))
        let backend = SimulatedQueueBackend(subsystem: subsystem, transport: transport)
        let consumer = try Consumer(capacity: 65_536)
        var queues: [AttachedQueue?] = []
        for cntlid in 1...queueCount {
            queues.append(try AttachedQueue(engine: engine, backend: backend, consumer: consumer,
                                            cntlid: UInt16(cntlid), entries: entries))
        }
        churnQueues = queues
        lifecycle = Lifecycle(engine: engine, backend: backend, consumer: consumer)
        let consuming = try OSThread(name: "soak consumer") { self.consume(consumer) }
        let writers = try (0..<2).map { index in try OSThread(name: "soak writer") { self.write(seed: UInt64(index + 1)) } }
        let churning = try OSThread(name: "soak churn") { self.churn() }
        queues.removeAll()
        let failure = sample()
        stopping.store(true, ordering: .releasing)
        writers.forEach { $0.join() }
        churning.join()
        consuming.join()
        if let failure { print("soak: FAILED: resources grew \(failure)") } else { print("soak: flat") }
        return failure == nil
    }

    /// Samples resources every second for `seconds`; the warm-up's largest
    /// sample is the baseline. Returns what grew past the bound, if anything.
    private func sample() -> String? {
        let warmUp = max(1, min(10, seconds / 10))
        var baseline = ResourceSample.now()
        let bound = GrowthBound()
        let start = MonotonicClock.nanoseconds()
        for second in 1...seconds {
            let due = start + UInt64(second) * 1_000_000_000
            let now = MonotonicClock.nanoseconds()
            if due > now { MonotonicClock.sleep(nanoseconds: due - now) }
            changeFaults(second)
            let sample = ResourceSample.now()
            print("  \(second) s  \(sample.line)  delivered \(delivered.load(ordering: .relaxed))  "
                + "overflows \(overflows.load(ordering: .relaxed))  churned \(churned.load(ordering: .relaxed))")
            fflush(nil)
            if second <= warmUp {
                baseline = second == 1 ? sample : baseline.maximum(sample)
                if second == warmUp { print("baseline (max of the first \(warmUp) s): \(baseline.line)") }
            } else if let violation = bound.violation(baseline: baseline, sample: sample) {
                return "at \(second) s: \(violation) (bound: fds +\(bound.descriptors), RSS +\(bound.residentBytes >> 20) MiB, "
                    + "mapped +\(bound.mappedBytes >> 20) MiB, mappings +\(bound.mappings))"
            }
        }
        return nil
    }

    /// Two writer threads: mostly one write to a random controller, now and
    /// then a burst past a queue's capacity (ESA 7).
    private func write(seed: UInt64) {
        var random = WorkloadRandom(seed: seed)
        let controllers = subsystem.controllers
        while !stopping.load(ordering: .relaxed) {
            let controller = controllers[Int(random.next(below: UInt64(controllers.count)))]
            let count = random.next(below: 64) == 0 ? Int(entries) * 2 : 1
            for _ in 0..<count {
                _ = controller.write(nsid: UInt32(controller.cntlid), startingLBA: random.next(below: 1 << 19), blockCount: 1, data: nil)
            }
            if random.next(below: 16) == 0 { MonotonicClock.sleep(nanoseconds: 100_000) }
        }
    }

    private func consume(_ consumer: Consumer) {
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 4096)
        defer { buffer.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            consumer.wait(timeoutNanoseconds: 50_000_000)
            let popped = consumer.pop(into: buffer)
            let overflowed = buffer.prefix(popped).lazy.filter { $0.kind == .overflow }.count
            delivered.wrappingIncrement(by: popped, ordering: .relaxed)
            overflows.wrappingIncrement(by: overflowed, ordering: .relaxed)
        }
    }

    /// A different fault each second, in a cycle.
    private func changeFaults(_ second: Int) {
        let faults = subsystem.faults
        faults.maskAfterFirstDelivery(second % 5 == 1)
        switch second % 5 {
        case 0: faults.dropNextTriggers(500)
        case 2: faults.delayTriggers(byNanoseconds: second % 10 == 2 ? 2_000_000 : 0)
        case 3: faults.failNextAdminCommands(50, with: .internalError, opcode: AdminOpcode.setFeatures.rawValue)
        default: break
        }
    }

    /// Detaches 16 random queues and attaches them again, every 100 ms,
    /// until the soak stops; then detaches them all. Every lifecycle must
    /// give back what it took.
    private func churn() {
        guard let lifecycle else { return }
        var queues = churnQueues
        churnQueues = []
        var random = WorkloadRandom(seed: 0x50A4)
        while !stopping.load(ordering: .relaxed) {
            for _ in 0..<16 {
                let index = Int(random.next(below: UInt64(queues.count)))
                try? queues[index]?.detach()
                queues[index] = try? AttachedQueue(
                    engine: lifecycle.engine, backend: lifecycle.backend,
                    consumer: lifecycle.consumer, cntlid: UInt16(index + 1), entries: entries)
                churned.wrappingIncrement(ordering: .relaxed)
            }
            MonotonicClock.sleep(nanoseconds: 100_000_000)
        }
        subsystem.faults.maskAfterFirstDelivery(false)
        for queue in queues { try? queue?.detach() }
    }
}
