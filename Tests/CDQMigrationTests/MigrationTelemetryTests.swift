import CDQEngine
import CDQMigration
import CDQMigrationSimulator
import CDQTestSupport
import MetricsTestKit
import Testing

/// A migration logs each phase with its queue's metadata and publishes its
/// figures through swift-metrics; the figures add up to the report's.
@Suite struct MigrationTelemetryTests {
    @Test func phasesAreLoggedAndFiguresMatchTheReport() throws {
        let directory = TemporaryDirectory()
        var setup = SimulatedMigrationSetup(namespaceBytes: 16 << 20, directory: directory.path)
        setup.writers = 2
        setup.writesPerSecond = 2000
        let migration = try SimulatedMigration(setup)
        let log = CapturedLog()
        let metrics = TestMetrics()
        var configuration = MigrationConfiguration(backlogThresholdBytes: 0, maximumRounds: 2)
        configuration.logger = log.logger
        configuration.metricsFactory = metrics
        let report = try migration.migrate(to: "\(directory.path)/destination.img", configuration: configuration)

        let labels = migration.source.labels
        #expect(labels.cntlid != nil && labels.device != nil)
        let phases = log.all.filter { $0.message == "migration phase started" }
        #expect(phases.compactMap { $0.metadata["phase"]?.description }
            == ["bulk"] + (0..<report.rounds).map { "round \($0 + 1)" } + ["suspend", "final copy"])
        for line in log.all {
            #expect(labels.metadata.allSatisfy { line.metadata[$0.key] == $0.value }, "\(line.message) carries the queue")
        }
        #expect(log.all.last?.message == "migration done")

        let dimensions = labels.pairs
        let copied = try metrics.expectCounter("cdq_migration_copied_bytes_total", dimensions).totalValue
        let recopied = try metrics.expectCounter("cdq_migration_recopied_bytes_total", dimensions).totalValue
        #expect(copied == Int64(report.bulkBytes + report.recopiedBytes))
        #expect(recopied == Int64(report.recopiedBytes))
        #expect(try metrics.expectCounter("cdq_migration_rounds_total", dimensions).totalValue == Int64(report.rounds))
        #expect(try metrics.expectGauge("cdq_migration_downtime_seconds", dimensions).lastValue
            == Double(report.downtimeNanoseconds) / 1e9)
        #expect(try metrics.expectGauge("cdq_migration_dirty_bytes", dimensions).lastValue != nil)
    }
}
