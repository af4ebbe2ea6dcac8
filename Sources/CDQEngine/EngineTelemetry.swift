import CDQNVMe
import CDQUring
import Logging
import CoreMetrics

/// The engine's events and figures for the embedder's logging and metrics
/// (swift-log, swift-metrics). The loop thread only counts, as it always
/// did; this reads those counters on a tick of its own thread, publishes
/// what moved as metrics, and logs what deserves a line: overflow, refused
/// head updates, problem entries, a lost queue. Attach and detach are
/// logged on the caller's thread, which is cold. Nothing here runs per entry.
final class EngineTelemetry: @unchecked Sendable {
    // @unchecked: mutable state is behind `state`; `thread` is touched by
    // start and stop only.

    let logger: Logger
    private let factory: any MetricsFactory
    private let engineMetrics: EngineMetrics

    private struct Watched {
        let labels: QueueLabels
        let counters: QueueCounters
        let consumer: Consumer
        let metrics: QueueMetrics
        var last = QueueStatistics()
        var loss: QueueLoss?
        var adminStatus: NVMeStatus?
    }

    private struct State {
        var queues: [QueueHandle: Watched] = [:]
        var engine = EngineStatistics(turns: 0, systemCalls: 0, queues: 0, totals: QueueStatistics())
        var latencyCount: UInt64 = 0
    }

    private let state = Locked(State())
    private let stopEvent: EventFD
    private var thread: OSThread?

    init(logger: Logger, factory: any MetricsFactory) throws(SystemError) {
        self.logger = logger
        self.factory = factory
        engineMetrics = EngineMetrics(factory: factory)
        stopEvent = try EventFD()
    }

    /// Ticks every `intervalNanoseconds` on a thread of its own until `stop`.
    func start(intervalNanoseconds: UInt64, read: @escaping @Sendable () -> (EngineStatistics, WakeupLatency)) throws(SystemError) {
        let stopEvent = self.stopEvent
        thread = try OSThread(name: "cdq telemetry") { [self] in
            while !stopEvent.wait(timeoutNanoseconds: intervalNanoseconds) {
                let (statistics, latency) = read()
                tick(statistics, latency)
            }
        }
    }

    /// Stops the thread; a last tick publishes what moved since the previous one.
    func stop(final read: () -> (EngineStatistics, WakeupLatency)) {
        guard let thread else { return }
        try? stopEvent.signal()
        thread.join()
        self.thread = nil
        let (statistics, latency) = read()
        tick(statistics, latency)
    }

    func attached(_ handle: QueueHandle, _ labels: QueueLabels, counters: QueueCounters, consumer: Consumer) {
        let watched = Watched(labels: labels, counters: counters, consumer: consumer, metrics: QueueMetrics(labels, factory: factory))
        state.withLock { $0.queues[handle] = watched }
        logger.info("queue attached", metadata: labels.metadata.merging(["slot": "\(handle.index)"]) { $1 })
    }

    /// The queue's last figures are published and its metrics destroyed.
    func detached(_ handle: QueueHandle) {
        let final: (QueueLabels, QueueStatistics)? = state.withLock { state in
            guard var watched = state.queues.removeValue(forKey: handle) else { return nil }
            publish(&watched)
            watched.metrics.destroy()
            return (watched.labels, watched.last)
        }
        guard let (labels, statistics) = final else { return }
        var metadata = labels.metadata
        metadata["entries"] = "\(statistics.entries)"
        logger.info("queue detached", metadata: metadata)
    }

    /// From the loop's callback: kept for the next tick's message (cold: at most once per queue).
    func lost(_ handle: QueueHandle, _ loss: QueueLoss) {
        state.withLock { $0.queues[handle]?.loss = loss }
    }

    /// From the loop's callback: the last refusal, for the next tick's message.
    func adminError(_ handle: QueueHandle, _ status: NVMeStatus) {
        state.withLock { $0.queues[handle]?.adminStatus = status }
    }

    /// Publishes everything under the lock, so that a detach between two
    /// ticks cannot publish the same gain twice (cold: once per interval).
    func tick(_ statistics: EngineStatistics, _ latency: WakeupLatency) {
        state.withLock { state in
            engineMetrics.publish(statistics, since: state.engine, latency: latency, measuredBefore: state.latencyCount)
            state.engine = statistics
            state.latencyCount = latency.count
            for handle in Array(state.queues.keys) { publish(&state.queues[handle]!) }
        }
    }

    /// Publishes and logs what one queue's counters gained since the last look.
    private func publish(_ queue: inout Watched) {
        let now = queue.counters.snapshot
        queue.metrics.publish(now, since: queue.last, ringRecords: queue.consumer.ring.count)
        QueueEvents(labels: queue.labels, before: queue.last, now: now, loss: queue.loss, adminStatus: queue.adminStatus)
            .log(to: logger)
        queue.last = now
    }
}
