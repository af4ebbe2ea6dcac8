import Benchmark
import CDQMigration

/// Range inserts into the copy engine's dirty map, the per-entry cost of a
/// migration (target: at least 10 million per second). Writes of 8 blocks
/// (4 KiB) rounded to 4 KiB; iterations are inserts. A round takes the
/// map every 100,000 inserts, as a migrator would, so the map holds up to
/// 100,000 extents.
let dirtyMapBenchmarks: @Sendable () -> Void = {
    // A million inserts a sample, so the map reaches 100,000 extents and
    // the amortised compactions and takes are inside the measurement.
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(3), thresholds: [:])

    Benchmark("Dirty map insert, random 4 KiB writes in 1 TiB", configuration: configuration) { benchmark in
        var map = DirtyExtentMap(capacity: 1 << 31, granularity: 8)
        var state: UInt64 = 42
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            map.insert(start: (state >> 33) & ((1 << 31) - 8), blockCount: 8)
            if i % 100_000 == 99_999 { blackHole(map.take().count) }
        }
        blackHole(map.dirtyBlocks)
        benchmark.stopMeasurement()
    }

    Benchmark("Dirty map insert, random 4 KiB writes in a 1 GiB hot spot", configuration: configuration) { benchmark in
        var map = DirtyExtentMap(capacity: 1 << 31, granularity: 8)
        var state: UInt64 = 42
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            map.insert(start: (state >> 33) & ((1 << 21) - 8), blockCount: 8)
            if i % 100_000 == 99_999 { blackHole(map.take().count) }
        }
        blackHole(map.dirtyBlocks)
        benchmark.stopMeasurement()
    }

    Benchmark("Dirty map insert, sequential 4 KiB writes", configuration: configuration) { benchmark in
        var map = DirtyExtentMap(capacity: 1 << 31, granularity: 8)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            map.insert(start: UInt64(i % 100_000) * 8, blockCount: 8)
            if i % 100_000 == 99_999 { blackHole(map.take().count) }
        }
        blackHole(map.dirtyBlocks)
        benchmark.stopMeasurement()
    }
}
