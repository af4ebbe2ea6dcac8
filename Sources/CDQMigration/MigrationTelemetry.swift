import CDQEngine
import Logging
import CoreMetrics

extension MigrationController {
    /// Only the CDQID, for controllers that know no more.
    public var labels: QueueLabels { QueueLabels(cdqid: cdqid) }
}

extension AttachedMigrationSource {
    public var labels: QueueLabels { QueueLabels(cdqid: cdqid, cntlid: cntlid, device: queue.backend.name) }
}

/// A migration's events and figures for the embedder's logging and metrics
/// (swift-log, swift-metrics): each phase is logged as it starts, and the
/// figures are published at each progress report (every
/// `progressIntervalNanoseconds` and at phase boundaries), never per
/// record or per chunk.
final class MigrationTelemetry {
    let logger: Logger
    private let copied, recopied, rounds: Counter
    private let dirty, downtime: Gauge
    private var phase: MigrationProgress.Phase?
    private var copiedInPhase: UInt64 = 0

    init(configuration: MigrationConfiguration, labels: QueueLabels) {
        var logger = configuration.logger ?? Logger(label: "cdq.migration")
        for (key, value) in labels.metadata { logger[metadataKey: key] = value }
        self.logger = logger
        let factory = configuration.metricsFactory ?? MetricsSystem.factory
        let dimensions = labels.pairs
        copied = Counter(label: "cdq_migration_copied_bytes_total", dimensions: dimensions, factory: factory)
        recopied = Counter(label: "cdq_migration_recopied_bytes_total", dimensions: dimensions, factory: factory)
        rounds = Counter(label: "cdq_migration_rounds_total", dimensions: dimensions, factory: factory)
        dirty = Gauge(label: "cdq_migration_dirty_bytes", dimensions: dimensions, factory: factory)
        downtime = Gauge(label: "cdq_migration_downtime_seconds", dimensions: dimensions, factory: factory)
    }

    /// A progress report: publishes the bytes copied since the last one and
    /// the backlog; logs a phase that starts.
    func progress(_ report: MigrationProgress) {
        if report.phase != phase {
            phase = report.phase
            copiedInPhase = 0
            if case .round = report.phase { rounds.increment() }
            logger.info("migration phase started", metadata: [
                "phase": "\(Self.name(report.phase))", "phase_bytes": "\(report.phaseBytes)",
                "dirty_bytes": "\(report.dirtyBacklogBytes)",
            ])
        }
        if report.copiedBytes > copiedInPhase, report.phase != .verifying {
            let delta = Int64(clamping: report.copiedBytes - copiedInPhase)
            copied.increment(by: delta)
            if report.phase != .bulk { recopied.increment(by: delta) }
            copiedInPhase = report.copiedBytes
        }
        dirty.record(report.dirtyBacklogBytes)
    }

    func suspending() {
        logger.info("migration phase started", metadata: ["phase": "suspend"])
    }

    func finished(_ report: MigrationReport) {
        downtime.record(Double(report.downtimeNanoseconds) / 1e9)
        logger.info("migration done", metadata: [
            "rounds": "\(report.rounds)", "recopied_bytes": "\(report.recopiedBytes)",
            "downtime_seconds": "\(Double(report.downtimeNanoseconds) / 1e9)", "stop_reason": "\(report.stopReason)",
            "untrusted_entries": "\(report.untrustedEntryCount)", "overflow_events": "\(report.overflowEvents)",
        ])
    }

    func failed(_ error: MigrationError) {
        logger.error("migration failed", metadata: ["error": "\(error)"])
    }

    static func name(_ phase: MigrationProgress.Phase) -> String {
        switch phase {
        case .bulk: "bulk"
        case .round(let number): "round \(number)"
        case .suspended: "final copy"
        case .verifying: "verify"
        }
    }
}
