import Atomics
import CDQEngine
import CDQSimulator
import CDQUring
import Histogram

/// The engine consuming the rig's queues: one loop thread, one consumer
/// thread that books every record. Queues are attached exactly as an
/// embedder would (`AttachedQueue` over `SimulatedQueueBackend`: Create CDQ, register,
/// Track Send start).
final class EngineSide: ConsumerSide {
    let engine: Engine
    let transport: SimulatorTransport
    let consumer: Consumer
    private var queues: [AttachedQueue] = []
    private let book: SequenceBook
    private let rig: Rig
    private let stopping = ManagedAtomic<Bool>(false)
    private var consuming: OSThread?
    private(set) var consumerThreads: [Int32] = []

    init(rig: Rig, entries: UInt32, probe: LatencyProbe?, stamps: DeliveryStamps? = nil,
         configuration: EngineConfiguration) throws {
        let count = rig.subsystem.controllers.count
        let (engine, loopThreads) = try ThreadClock.spawned { try Engine(configuration) }
        self.engine = engine
        self.rig = rig
        transport = SimulatorTransport(channel: try rig.runner.openChannel(depth: max(64, count)))
        consumer = try Consumer(capacity: 16_384)
        book = SequenceBook(queues: count, probe: probe, stamps: stamps)
        var bookIndex = Array(repeating: 0, count: count)
        let backend = SimulatedQueueBackend(subsystem: rig.subsystem, transport: transport)
        for controller in rig.subsystem.controllers {
            let queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer,
                                          cntlid: controller.cntlid, entries: entries)
            bookIndex[Int(queue.handle.index)] = queues.count
            queues.append(queue)
        }
        let (consumer, book, stopping, index) = (consumer, book, stopping, bookIndex)
        let (thread, consumerThread) = try ThreadClock.spawned {
            try OSThread(name: "bench consumer") { Self.consume(consumer, book, index, stopping) }
        }
        consuming = thread
        consumerThreads = loopThreads + consumerThread
    }

    /// The consumer thread: pop in batches, book every record.
    private static func consume(_ consumer: Consumer, _ book: SequenceBook, _ bookIndex: [Int], _ stopping: ManagedAtomic<Bool>) {
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            consumer.wait(timeoutNanoseconds: 10_000_000)
            let popped = consumer.pop(into: buffer)
            for record in buffer.prefix(popped) {
                book.record(queue: bookIndex[Int(record.queue)], record.entry)
            }
            if popped > 0 { book.publish() }
        }
    }

    var counters: SideCounters {
        let statistics = engine.statistics
        return SideCounters(
            systemCalls: statistics.systemCalls + consumer.systemCalls + transport.channel.doorbellRings,
            wakeups: statistics.totals.wakeups, headUpdates: statistics.totals.headUpdates,
            adminCommands: transport.channel.commandsCompleted)
    }

    var lastsSeen: Int { book.lasts.load(ordering: .relaxed) }

    /// Track Send stop on the rig's setup channel, as the baseline sends
    /// it: the stops fall inside the measured window, and through the
    /// engine's admin path they would be charged to the engine alone.
    func stopLogging() {
        rig.executeAll(queues.map { AdminRequest(.trackSend(cdqid: $0.cdqid, logging: .stop)) })
    }

    func finish(written: [UInt64]) -> SideBooks {
        stopping.store(true, ordering: .releasing)
        consuming?.join()
        consuming = nil
        queues.forEach { try? $0.detach() }
        queues = []
        engine.shutdown()
        let settled = book.settle(written: written)
        var books = SideBooks(delivered: book.delivered, lost: settled.lost, duplicated: settled.duplicated,
                              overflows: book.overflows, delivery: book.delivery)
        if let probe = book.probe {
            (books.p50, books.p99, books.p999) = percentiles(probe.histogram)
        } else {
            let latency = engine.wakeupLatency
            (books.p50, books.p99, books.p999) = (latency.p50, latency.p99, latency.p999)
        }
        return books
    }
}

/// p50, p99 and p99.9 of a histogram in nanoseconds, as microseconds.
func percentiles(_ histogram: Histogram<UInt64>) -> (Double, Double, Double) {
    guard histogram.totalCount > 0 else { return (0, 0, 0) }
    return (Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000,
            Double(histogram.valueAtPercentile(99.9)) / 1000)
}
