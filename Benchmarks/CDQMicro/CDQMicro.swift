// Microbenchmarks of the per-entry and per-command paths, with allocation
// counts: the engine builds a Set Features FID 0x21 image per head update and
// decodes every CDQ entry, so both must stay allocation free.
// Run with `make bench-micro`.

import Benchmark
import CDQNVMe

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
}
