import Atomics
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Threads as they will be in use: a workload generator writing on its own
/// thread, the controller thread serving admin commands, and a host thread
/// that drains by phase tag and hands slots back through a doorbell channel.
@Suite struct EndToEndTests {
    @Test func everyChangeFromAWriterThreadReachesTheHostExactlyOnce() throws {
        let host = try HostQueue(entries: 4096, capacity: 1 << 14)
        let runner = try ControllerRunner(subsystem: host.subsystem)
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel()
        let create = channel.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 4096 * 8, prp1: 0),
            data: host.memory, tailPointerEventFD: host.event.fileDescriptor))
        try #require(create.status == .success)
        let cdqid = UInt16(create.dw0)
        #expect(channel.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .start))).status == .success)

        let spec = WorkloadSpec(pattern: .hotSpot(hotFraction: 0.1, hotProbability: 0.8),
                                writesPerSecond: 20_000, deallocateFraction: 0.1, seed: 7)
        let generator = WorkloadGenerator(target: host.subsystem.controller(1)!, nsid: 1, capacity: 1 << 14, lbaSize: 512, spec: spec)
        try generator.start()

        var entries: [MigrationQueueEntry] = []
        let deadline = MonotonicClock.nanoseconds() + 300_000_000
        while MonotonicClock.nanoseconds() < deadline {
            entries += host.drain()
            // Hand the slots back with the trigger armed at the next slot, then wait for it.
            let head = host.readIndex
            _ = channel.execute(AdminRequest(.setControllerDataQueue(cdqid: cdqid, head: head, tailPointerTrigger: (head + 1) % 4096)))
            entries += host.drain()
            var descriptor = pollfd(fd: host.event.fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 10)
            _ = try host.signals()
        }
        let statistics = generator.stop()
        #expect(channel.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .stop))).status == .success)
        entries += host.drain()

        #expect(entries.first?.entryStatus == .first)
        #expect(entries.last?.entryStatus == .lastLoggingStopped)
        #expect(!entries.contains { $0.entryStatus == .lastQueueFull }, "the host kept up: nothing lost")
        let changes = entries.filter { $0.entryStatus == .middle }
        #expect(statistics.errors == 0)
        #expect(statistics.operations > 100, "the writer ran: \(statistics)")
        #expect(UInt64(changes.count) == statistics.operations, "one entry per change, exactly once")
        #expect(UInt64(changes.filter(\.deallocated).count) == statistics.deallocates)
        #expect(changes.reduce(0) { $0 + $1.blockCount() } == statistics.blocksWritten + statistics.blocksDeallocated)
        #expect(changes.allSatisfy { $0.validate() == nil && $0.nsid == 1 })
    }
}
