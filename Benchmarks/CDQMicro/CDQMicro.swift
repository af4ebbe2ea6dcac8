// Microbenchmarks of the per-entry and per-command paths, with allocation
// counts: the engine builds a Set Features FID 0x21 image per head update and
// decodes every CDQ entry, so both must stay allocation free.
// Run with `make bench-micro`.

import Benchmark
import CDQNVMe
import CDQSimulator
import CDQQueues

let benchmarks: @Sendable () -> Void = {
    let noAllocations = BenchmarkThresholds(relative: [:], absolute: [.p100: 0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        thresholds: [.mallocCountTotal: noAllocations]
    )

    Benchmark("Set Features FID 0x21 image (head update)") { benchmark in
        let image = UnsafeMutableRawPointer.allocate(byteCount: NVMeCommand.size, alignment: 8)
        defer { image.deallocate() }
        for i in benchmark.scaledIterations {
            let command = NVMeCommand.setControllerDataQueue(cdqid: 7, head: UInt32(truncatingIfNeeded: i), tailPointerTrigger: 64)
            command.write(to: image)
            blackHole(image.load(fromByteOffset: 48, as: UInt32.self))
        }
    }

    Benchmark("Migration queue entry decode") { benchmark in
        let queue = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * MigrationQueueEntry.size, alignment: 4096)
        defer { queue.deallocate() }
        for slot in 0..<128 {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: UInt64(slot) * 8, phaseTag: true)
                .write(to: queue.baseAddress! + slot * MigrationQueueEntry.size, includingPhase: true)
        }
        var blocks: UInt64 = 0
        for i in benchmark.scaledIterations {
            let entry = MigrationQueueEntry(bytes: queue.baseAddress! + (i & 127) * MigrationQueueEntry.size)
            blocks &+= entry.blockCount() &+ entry.startingLBA
        }
        blackHole(blocks)
    }

    Benchmark("NVMe status decode and match") { benchmark in
        var matches = 0
        for i in benchmark.scaledIterations {
            let status = NVMeStatus(rawValue: UInt16(truncatingIfNeeded: i) & 0x7FFF)
            if status.matches(.invalidControllerDataQueue) { matches += 1 }
        }
        blackHole(matches)
    }

    simulatorBenchmarks()
    queueBenchmarks()
    dirtyMapBenchmarks()
    capiBenchmarks()
}

// MARK: Simulated controller

/// One thread writes through a migratable controller whose namespace keeps
/// no data, so what is measured is the logging path: the lock, the entry,
/// the release store of its phase byte. Every 64 writes the same thread
/// drains the entries by phase tag and hands the slots back, as a host would.
let simulatorBenchmarks: @Sendable () -> Void = {
    Benchmark("Simulator logged write (discard namespace)") { benchmark in
        let subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: 1, namespaceCapacity: 1 << 30, backing: .discard))
        let entries: UInt32 = 4096
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(entries) * 32, alignment: 4096)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        let create = subsystem.execute(AdminRequest(
            .controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: entries * 8, prp1: 0),
            data: memory))
        let cdqid = UInt16(create.dw0)
        _ = subsystem.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .start)))
        let controller = subsystem.controller(1)!
        var head: UInt32 = 1
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = controller.write(nsid: 1, startingLBA: UInt64(i & 0xFFFFF) * 8, blockCount: 8, data: nil)
            if i & 63 == 63 {
                head = (head + 64) % entries
                _ = subsystem.execute(AdminRequest(.setControllerDataQueue(cdqid: cdqid, head: head, tailPointerTrigger: nil)))
            }
        }
        benchmark.stopMeasurement()
    }
}

// MARK: Queue primitives

/// What the engine puts on a consumer's ring: a 32-byte CDQ entry as read
/// from queue memory, plus the identity of its queue (40 bytes).
struct RingRecord: BitwiseCopyable {
    var entry: (UInt64, UInt64, UInt64, UInt64)
    var queue: UInt32
    var generation: UInt32

    init(_ value: Int) {
        let word = UInt64(truncatingIfNeeded: value)
        entry = (word, ~word, word << 1, word >> 1)
        queue = 3
        generation = 1
    }
}

/// One thread pushes records into an SPSCRing and pops them again: the cost
/// of the ring itself (copies, index arithmetic, release stores), without
/// cache-line transfers between cores. The batch benchmarks move up to 64
/// records per step and count records, not steps, as iterations.
let queueBenchmarks: @Sendable () -> Void = {
    Benchmark("SPSC push/pop single") { benchmark in
        let ring = SPSCRing<RingRecord>(capacity: 1024)
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = ring.tryPush(RingRecord(i))
            sum &+= ring.tryPop()?.entry.0 ?? 1
        }
        benchmark.stopMeasurement()
        precondition(sum == UInt64(benchmark.scaledIterations.reduce(0, +)))
    }

    Benchmark("SPSC push/pop batch 64") { benchmark in
        let ring = SPSCRing<RingRecord>(capacity: 1024)
        let input = UnsafeMutableBufferPointer<RingRecord>.allocate(capacity: 64)
        let output = UnsafeMutableBufferPointer<RingRecord>.allocate(capacity: 64)
        defer { input.deallocate(); output.deallocate() }
        for i in input.indices { input[i] = RingRecord(i) }
        var moved = 0
        benchmark.startMeasurement()
        while moved < benchmark.scaledIterations.count {
            let batch = min(64, benchmark.scaledIterations.count - moved)
            _ = ring.push(contentsOf: UnsafeBufferPointer(rebasing: input[..<batch]))
            moved += ring.pop(into: UnsafeMutableBufferPointer(rebasing: output[..<batch]))
        }
        benchmark.stopMeasurement()
        blackHole(output)
    }

    Benchmark("SPSC reserve/commit peek/release batch 64") { benchmark in
        let ring = SPSCRing<RingRecord>(capacity: 1024)
        var sum: UInt64 = 0
        var moved = 0
        benchmark.startMeasurement()
        while moved < benchmark.scaledIterations.count {
            // Up to 64 records; fewer where the slots wrap around.
            let region = ring.reserve(max: min(64, benchmark.scaledIterations.count - moved))
            for i in region.indices { region[i] = RingRecord(moved + i) }
            ring.commit(region.count)
            let records = ring.peek(max: region.count)
            for record in records { sum &+= record.entry.0 }
            ring.release(records.count)
            moved += records.count
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }
}
