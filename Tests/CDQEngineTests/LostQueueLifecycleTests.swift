@testable import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An `AttachedQueue` whose controller deleted the queue on its own: the
/// engine reports the loss, detach ends in bounded time with a clear
/// error, every descriptor is closed, and the queue memory, which a
/// controller or kernel may still hold, stays mapped (the memory rule).
@Suite(.serialized) struct LostQueueLifecycleTests {
    static var configuration: EngineConfiguration {
        var configuration = EngineConfiguration(watchdogIntervalNanoseconds: 5_000_000)
        configuration.adminTimeoutNanoseconds = 300_000_000
        configuration.livenessProbeNanoseconds = 20_000_000
        return configuration
    }

    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors, so it runs alone: make test does that"))
    func aLostQueueReleasesEveryDescriptorAndKeepsItsMemory() throws {
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration)
        let backend = SimulatedQueueBackend(subsystem: fixture.subsystem, transport: fixture.transport)
        let consumer = try Consumer()
        // Warm up: the first attach allocates the engine's per-consumer state.
        let baseline = openDescriptors()
        try AttachedQueue(engine: fixture.engine, backend: backend, consumer: consumer, cntlid: 1, entries: 64).stopLoggingAndDetach()
        _ = collect(consumer, count: 2)
        let descriptors = openDescriptors(settlingAt: baseline), mappings = mappedRegions()
        let quarantined = QueueMemory.quarantined

        let memory = try lose(fixture, backend, consumer)

        #expect(openDescriptors(settlingAt: descriptors) == descriptors, "the queue's eventfd was closed")
        // Adjacent anonymous mappings may merge, so ask the kernel about the
        // address itself: msync fails with ENOMEM on an unmapped range.
        #expect(msync(memory.baseAddress, memory.count, MS_ASYNC) == 0, "the queue memory stays mapped")
        #expect(mappedRegions() >= mappings)
        #expect(QueueMemory.quarantined == quarantined + 1)
    }

    @Test func aLostQueueEndsInAClearErrorInBoundedTime() throws {
        let fixture = try EngineFixture(controllers: 1, configuration: Self.configuration)
        let backend = SimulatedQueueBackend(subsystem: fixture.subsystem, transport: fixture.transport)
        try lose(fixture, backend, try Consumer())
    }

    /// Attaches, lets the controller delete the queue, waits for the
    /// `.queueLost` record, then stops as `cdqctl watch` does; returns
    /// where the queue memory was.
    @discardableResult
    func lose(_ fixture: EngineFixture, _ backend: SimulatedQueueBackend, _ consumer: Consumer) throws -> UnsafeMutableRawBufferPointer {
        let start = MonotonicClock.nanoseconds()
        let queue = try AttachedQueue(engine: fixture.engine, backend: backend, consumer: consumer, cntlid: 1, entries: 64)
        #expect(fixture.subsystem.deleteQueueBehindTheHost(cntlid: 1))
        var records: [CDQRecord] = []
        while !records.contains(where: { $0.kind == .queueLost }) && MonotonicClock.nanoseconds() - start < 5_000_000_000 {
            records += collect(consumer, count: 1, timeoutNanoseconds: 50_000_000)
        }
        #expect(records.last?.loss == .unknownToController)
        #expect(throws: QueueLifecycleError.self) { try queue.stopLoggingAndDetach(timeoutNanoseconds: 200_000_000) }
        #expect(MonotonicClock.nanoseconds() - start < 5_000_000_000, "no hang")
        #expect(fixture.engine.statistics.queues == 0)
        return queue.memory.buffer
    }
}
