@testable import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Logging
import MetricsTestKit
import Testing

/// The engine's events reach the embedder's Logger with the queue's
/// metadata, and its counters reach the embedder's metrics, on the
/// telemetry tick.
@Suite struct EngineTelemetryTests {
    @Test func eventsAreLoggedWithTheQueuesMetadataAndCountersMoveAsMetrics() throws {
        let log = CapturedLog()
        let metrics = TestMetrics()
        var configuration = EngineConfiguration(watchdogIntervalNanoseconds: 5_000_000)
        configuration.logger = log.logger
        configuration.metricsFactory = metrics
        configuration.telemetryIntervalNanoseconds = 20_000_000
        configuration.livenessProbeNanoseconds = 20_000_000
        let fixture = try EngineFixture(controllers: 1, configuration: configuration)
        let backend = SimulatedQueueBackend(subsystem: fixture.subsystem, transport: fixture.transport)
        let consumer = try Consumer(capacity: 64)
        let queue = try AttachedQueue(engine: fixture.engine, backend: backend, consumer: consumer, cntlid: 1, entries: 64)
        let expected: Logger.Metadata = ["cdqid": "\(queue.cdqid)", "cntlid": "1", "device": "\(backend.name)"]
        func carriesQueue(_ line: CapturedLog.Line?) -> Bool {
            expected.allSatisfy { line?.metadata[$0.key] == $0.value }
        }

        #expect(carriesQueue(log.waitFor("queue attached")))
        for lba in 0..<3 { #expect(fixture.write(1, lba: UInt64(lba)) == .success) }
        #expect(fixture.subsystem.controller(1)!.postHostileEntry(
            MigrationQueueEntry(nsid: 0, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: true)))
        _ = collect(consumer, count: 5) // FIRST, three changes, the problem record
        let problem = log.waitFor("could not trust")
        #expect(carriesQueue(problem) && problem?.metadata["problems"] == "1")
        #expect(problem?.metadata["kinds"] == "\(RecordProblem.changeRecordWithoutNamespace.name)=1")

        let dimensions = expected.map { ($0.key, "\($0.value)") }.sorted { $0.0 < $1.0 }
        func counter(_ name: String) -> Int64 {
            (try? metrics.expectCounter(name, dimensions).totalValue) ?? -1
        }
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while counter("cdq_engine_entries_total") < 5 && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 5_000_000)
        }
        #expect(counter("cdq_engine_entries_total") == 5)
        #expect(counter("cdq_engine_problem_entries_total") == 1)
        #expect(counter("cdq_engine_head_updates_total") > 0)
        // Published; whether an event or a rescan found the entries first
        // is the scheduler's choice, so its value may be 0.
        #expect(counter("cdq_engine_wakeups_total") >= 0)
        // The queue went active with the first entries: its deadline scans are published.
        while counter("cdq_engine_deadline_scans_total") < 1 && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 5_000_000)
        }
        #expect(counter("cdq_engine_deadline_scans_total") >= 1)
        #expect((try? metrics.expectGauge("cdq_engine_queues").lastValue) == 1)

        // The controller forgets the queue: one error line, with the reason.
        #expect(fixture.subsystem.deleteQueueBehindTheHost(cntlid: 1))
        let lost = log.waitFor("queue lost")
        #expect(carriesQueue(lost) && lost?.level == .error && lost?.metadata["reason"] == "unknown_to_controller")
        #expect(counter("cdq_engine_queue_losses_total") == 1) // published by the tick that logged it
        try? queue.detach()
        #expect(carriesQueue(log.waitFor("queue detached")))
        #expect(throws: (any Error).self, "a detached queue's metrics are destroyed") {
            try metrics.expectCounter("cdq_engine_entries_total", dimensions)
        }
        // Nothing per entry: three writes made no line of their own.
        #expect(log.all.count < 10)
    }
}
