import CoreMetrics

/// One queue's swift-metrics handles, fed from its counters' deltas at each
/// telemetry tick (never from the loop). Names follow Prometheus'
/// conventions: counters end in `_total`, sizes are counts of records.
struct QueueMetrics {
    let entries, wakeups, headUpdates, adminErrors, stalls, overflows, problems, losses, deadlineScans: Counter
    let ringRecords: Gauge

    init(_ labels: QueueLabels, factory: any MetricsFactory) {
        let dimensions = labels.pairs
        func counter(_ name: String) -> Counter { Counter(label: "cdq_engine_\(name)_total", dimensions: dimensions, factory: factory) }
        entries = counter("entries")
        wakeups = counter("wakeups")
        headUpdates = counter("head_updates")
        adminErrors = counter("admin_errors")
        stalls = counter("ring_full_stalls")
        overflows = counter("overflows")
        problems = counter("problem_entries")
        losses = counter("queue_losses")
        deadlineScans = counter("deadline_scans")
        ringRecords = Gauge(label: "cdq_engine_consumer_ring_records", dimensions: dimensions, factory: factory)
    }

    /// Adds what the counters gained since `before`; sets the ring's occupancy.
    func publish(_ now: QueueStatistics, since before: QueueStatistics, ringRecords records: Int) {
        func add(_ counter: Counter, _ path: KeyPath<QueueStatistics, UInt64>) {
            let delta = now[keyPath: path] &- before[keyPath: path]
            if delta > 0 { counter.increment(by: Int64(clamping: delta)) }
        }
        add(entries, \.entries)
        add(wakeups, \.wakeups)
        add(headUpdates, \.headUpdates)
        add(adminErrors, \.adminErrors)
        add(stalls, \.ringFullStalls)
        add(overflows, \.overflows)
        add(problems, \.problems)
        add(losses, \.queueLosses)
        add(deadlineScans, \.deadlineScans)
        ringRecords.record(records)
    }

    func destroy() {
        for counter in [entries, wakeups, headUpdates, adminErrors, stalls, overflows, problems, losses, deadlineScans] { counter.destroy() }
        ringRecords.destroy()
    }
}

/// The engine-wide handles: loop turns, queues attached, and the wake-up to
/// consumer ring latency as a summary (quantiles in seconds).
struct EngineMetrics {
    let turns, latencyMeasurements: Counter
    let queues: Gauge
    let latency: [(quantile: String, gauge: Gauge, value: KeyPath<WakeupLatency, Double>)]

    init(factory: any MetricsFactory) {
        turns = Counter(label: "cdq_engine_loop_turns_total", factory: factory)
        latencyMeasurements = Counter(label: "cdq_engine_delivery_latency_measurements_total", factory: factory)
        queues = Gauge(label: "cdq_engine_queues", factory: factory)
        latency = [("0.5", \WakeupLatency.p50), ("0.99", \.p99), ("0.999", \.p999), ("1", \.maximum)].map { quantile, path in
            (quantile, Gauge(label: "cdq_engine_delivery_latency_seconds", dimensions: [("quantile", quantile)], factory: factory), path)
        }
    }

    func publish(_ now: EngineStatistics, since before: EngineStatistics, latency summary: WakeupLatency, measuredBefore: UInt64) {
        if now.turns > before.turns { turns.increment(by: Int64(clamping: now.turns - before.turns)) }
        if summary.count > measuredBefore { latencyMeasurements.increment(by: Int64(clamping: summary.count - measuredBefore)) }
        queues.record(now.queues)
        for (_, gauge, path) in latency { gauge.record(summary[keyPath: path] / 1_000_000) }
    }
}
