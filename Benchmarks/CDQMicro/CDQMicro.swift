// Microbenchmarks of the per-entry and per-command paths, with allocation
// counts: the engine drains every CDQ entry by phase tag into a consumer
// ring, builds a Set Features FID 0x21 image per head update, and consumers
// decode every entry, so all of these must stay allocation free.
// Run with `make bench-micro`.

import Benchmark
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQQueues

let benchmarks: @Sendable () -> Void = {
    // Enforced by `make bench-micro` (thresholds check): the p90 of
    // mallocCountTotal must equal Thresholds/CDQMicro.<name>.p90.json, which
    // says 0 for every hot path, with no tolerance.
    let noAllocations = BenchmarkThresholds(relative: [:], absolute: [.p90: 0, .p100: 0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        thresholds: [.mallocCountTotal: noAllocations]
    )

    Benchmark("AdminEncodeSetFeaturesFID21") { benchmark in
        let image = UnsafeMutableRawPointer.allocate(byteCount: NVMeCommand.size, alignment: 8)
        defer { image.deallocate() }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let command = NVMeCommand.setControllerDataQueue(cdqid: 7, head: UInt32(truncatingIfNeeded: i), tailPointerTrigger: 64)
            command.write(to: image)
            blackHole(image.load(fromByteOffset: 48, as: UInt32.self))
        }
    }

    Benchmark("EntryDecode") { benchmark in
        let queue = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * MigrationQueueEntry.size, alignment: 4096)
        defer { queue.deallocate() }
        for slot in 0..<128 {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: UInt64(slot) * 8, phaseTag: true)
                .write(to: queue.baseAddress! + slot * MigrationQueueEntry.size, includingPhase: true)
        }
        var blocks: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let entry = MigrationQueueEntry(bytes: queue.baseAddress! + (i & 127) * MigrationQueueEntry.size)
            blocks &+= entry.blockCount() &+ entry.startingLBA
        }
        benchmark.stopMeasurement()
        blackHole(blocks)
    }

    Benchmark("StatusDecodeMatch") { benchmark in
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
    drainBenchmarks()
    moderationBenchmarks()
    capiBenchmarks()
}

// MARK: Simulated controller

/// One thread writes through a migratable controller whose namespace keeps
/// no data, so what is measured is the logging path: the lock, the entry,
/// the release store of its phase byte. Every 64 writes the same thread
/// drains the entries by phase tag and hands the slots back, as a host would.
let simulatorBenchmarks: @Sendable () -> Void = {
    Benchmark("SimulatorLoggedWrite") { benchmark in
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
    Benchmark("SPSCPushPopSingle") { benchmark in
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

    Benchmark("SPSCPushPopBatch64") { benchmark in
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

    Benchmark("SPSCReserveCommitPeekRelease64") { benchmark in
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

// MARK: Phase-tag drain

/// The engine's own drain loop (`PhaseTagDrain.copy`, what the loop runs
/// per queue, each entry checked against the queue's scope) over entries filled beforehand, 256 per reservation as with
/// the default `drainBatch`, into a consumer-ring-sized buffer; one
/// iteration is one entry. The queue holds more entries than a run drains
/// (scaling .kilo: 1,000), so every entry read is new.
let drainBenchmarks: @Sendable () -> Void = {
    Benchmark("PhaseTagDrain") { benchmark in
        let entries: UInt32 = 4096
        precondition(benchmark.scaledIterations.count < Int(entries), "a run drains less than one lap")
        let queue = UnsafeMutableRawPointer.allocate(byteCount: Int(entries) * MigrationQueueEntry.size, alignment: 4096)
        let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 16_384)
        defer { queue.deallocate(); records.deallocate() }
        _ = records.initialize(repeating: CDQRecord(raw: (0, 0, 0, 0), queue: 0, cdqid: 0, kind: .entry))
        for slot in 0..<Int(entries) {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: UInt64(slot) * 8, phaseTag: true)
                .write(to: queue + slot * MigrationQueueEntry.size, includingPhase: true)
        }
        // Every entry checked against a one-namespace scope, as the engine does.
        let check = EntryCheck(scope: QueueScope(nsid: 1, capacity: UInt64(entries) * 8))
        var readIndex: UInt32 = 0
        var phase = true
        var drained = 0
        benchmark.startMeasurement()
        while drained < benchmark.scaledIterations.count {
            let batch = min(256, benchmark.scaledIterations.count - drained)
            let region = UnsafeMutableBufferPointer(rebasing: records[drained..<(drained + batch)])
            let outcome = PhaseTagDrain.copy(from: queue, entryCount: entries, readIndex: &readIndex, expectedPhase: &phase,
                                             into: region, queue: 0, cdqid: 1, check: check)
            drained += outcome.count
        }
        benchmark.stopMeasurement()
        precondition(drained == benchmark.scaledIterations.count && records[drained - 1].raw.1 == UInt64(drained - 1) * 8,
                     "every entry drained once, in order")
    }
}
