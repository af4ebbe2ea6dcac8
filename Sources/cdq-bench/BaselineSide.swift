import CDQSimulator
import CDQUring
import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// The synchronous baseline consuming the rig's queues: one worker thread
/// per core (queue i goes to worker i mod threads), each with its own
/// admin channel to the same simulated controller the engine uses.
final class BaselineSide: ConsumerSide {
    private var queues: [BaselineQueue] = []
    private let workers: [BaselineWorker]
    private var threads: [OSThread] = []
    private(set) var consumerThreads: [Int32] = []
    private let rig: Rig

    /// One worker per online CPU, unless `threads` says otherwise.
    static var defaultThreads: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    init(rig: Rig, entries: UInt32, threads: Int, probe: LatencyProbe?, stamps: DeliveryStamps? = nil) throws {
        self.rig = rig
        let queues = try rig.subsystem.controllers.map {
            try BaselineQueue(subsystem: rig.subsystem, cntlid: $0.cntlid, entries: entries)
        }
        self.queues = queues
        for (queue, started) in zip(queues, rig.executeAll(queues.map { $0.trackSend(.start) })) where !started.status.isSuccess {
            throw BenchError("Track Send start on CDQ \(queue.cdqid): \(started.status)")
        }
        let count = min(threads, queues.count)
        var workers: [BaselineWorker] = []
        for worker in 0..<count {
            let indices = Array(stride(from: worker, to: queues.count, by: count))
            workers.append(try BaselineWorker(queues: indices.map { queues[$0] }, channel: try rig.runner.openChannel(depth: 1),
                                              probe: probe, stamps: stamps, writerQueues: indices))
        }
        self.workers = workers
        (self.threads, consumerThreads) = try ThreadClock.spawned {
            try workers.map { worker in try OSThread(name: "baseline worker") { worker.run() } }
        }
    }

    var counters: SideCounters {
        workers.reduce(into: SideCounters()) { total, worker in
            total.systemCalls += worker.systemCalls.load(ordering: .relaxed)
            total.wakeups += worker.wakeups.load(ordering: .relaxed)
            total.headUpdates += worker.headUpdates.load(ordering: .relaxed)
            total.adminCommands += worker.channel.commandsCompleted
        }
    }

    var lastsSeen: Int { workers.reduce(0) { $0 + $1.book.lasts.load(ordering: .relaxed) } }

    func stopLogging() {
        rig.executeAll(queues.map { $0.trackSend(.stop) })
    }

    func finish(written: [UInt64]) -> SideBooks {
        workers.forEach { $0.stop() }
        threads.forEach { $0.join() }
        threads = []
        queues.forEach { $0.delete() }
        queues = []
        let refused = workers.reduce(0) { $0 + $1.adminErrors.load(ordering: .relaxed) }
        if refused > 0 { log("baseline: the controller refused \(refused) head updates (retried by the sweep)") }
        var books = SideBooks()
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)
        var delivery = histogram
        for (index, worker) in workers.enumerated() {
            let share = stride(from: index, to: written.count, by: workers.count).map { written[$0] }
            let settled = worker.book.settle(written: share)
            books.delivered += worker.book.delivered
            books.lost += settled.lost
            books.duplicated += settled.duplicated
            books.overflows += worker.book.overflows
            histogram.add(worker.histogram)
            delivery.add(worker.book.delivery)
        }
        // The latency scenario measures from the writer's send instead.
        if let probe = workers.first?.book.probe { histogram = probe.histogram }
        (books.p50, books.p99, books.p999) = percentiles(histogram)
        books.delivery = delivery
        return books
    }
}
