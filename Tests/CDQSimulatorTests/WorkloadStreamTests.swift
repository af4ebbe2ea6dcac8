import CDQSimulator
import Testing

/// The first `count` operations of a stream.
func workloadOperations(_ spec: WorkloadSpec, capacity: UInt64, count: Int) -> [WorkloadOperation] {
    var stream = WorkloadStream(spec: spec, capacity: capacity)
    return (0 ..< count).map { _ in stream.next() }
}

let workloadPatterns: [WorkloadPattern] = [.sequential, .uniform, .hotSpot(hotFraction: 0.2, hotProbability: 0.8)]
let workloadOneBlock = [BlockSizeWeight(blockCount: 1, weight: 1)]

@Suite struct WorkloadStreamTests {
    @Test(arguments: workloadPatterns)
    func theSameSeedGivesTheSameOperations(pattern: WorkloadPattern) {
        let spec = WorkloadSpec(pattern: pattern, deallocateFraction: 0.3, seed: 42)
        let first = workloadOperations(spec, capacity: 1 << 20, count: 2000)
        #expect(first == workloadOperations(spec, capacity: 1 << 20, count: 2000))
        #expect(first.map(\.sequence) == Array(1 ... 2000))
    }

    @Test(arguments: workloadPatterns)
    func differentSeedsGiveDifferentOperations(pattern: WorkloadPattern) {
        let a = workloadOperations(WorkloadSpec(pattern: pattern, deallocateFraction: 0.3, seed: 1), capacity: 1 << 20, count: 200)
        let b = workloadOperations(WorkloadSpec(pattern: pattern, deallocateFraction: 0.3, seed: 2), capacity: 1 << 20, count: 200)
        let same = zip(a, b).filter { $0 == $1 }.count
        #expect(same < 100, "\(same) of 200 operations equal")
    }

    @Test func sequentialWrapsAtTheCapacity() {
        let spec = WorkloadSpec(pattern: .sequential, blockSizes: [BlockSizeWeight(blockCount: 8, weight: 1)])
        let operations = workloadOperations(spec, capacity: 100, count: 26)
        // 0, 8, ..., 88, then 96 shortened to 4 blocks, then LBA 0 again.
        #expect(operations.prefix(12).map(\.startingLBA) == Array(stride(from: 0, through: 88, by: 8)))
        #expect(operations[12].startingLBA == 96 && operations[12].blockCount == 4)
        #expect(operations[13].startingLBA == 0 && operations[13].blockCount == 8)
        #expect(operations[25].startingLBA == 96 && operations[25].blockCount == 4)
    }

    @Test func sequentialWithMixedSizesIsContiguous() {
        let operations = workloadOperations(WorkloadSpec(pattern: .sequential, seed: 5), capacity: 1000, count: 5000)
        var expectedStart: UInt64 = 0
        var wraps = 0
        for operation in operations {
            guard operation.startingLBA == expectedStart, operation.startingLBA + UInt64(operation.blockCount) <= 1000 else {
                Issue.record("operation \(operation) after one ending at \(expectedStart)")
                break
            }
            expectedStart = operation.startingLBA + UInt64(operation.blockCount)
            if expectedStart == 1000 { expectedStart = 0; wraps += 1 }
        }
        #expect(wraps > 10)
    }

    @Test func uniformCoversTheNamespaceEvenly() {
        // 160,000 one-block writes into 16 equal buckets: 10,000 expected in
        // each. Chi-square with 15 degrees of freedom is below 37.7 with
        // probability 0.999; the bound is looser still, and the seed fixed.
        let capacity: UInt64 = 1 << 32
        let operations = workloadOperations(WorkloadSpec(pattern: .uniform, blockSizes: workloadOneBlock, seed: 7), capacity: capacity, count: 160_000)
        var buckets = [Double](repeating: 0, count: 16)
        for operation in operations { buckets[Int(operation.startingLBA >> 28)] += 1 }
        let chiSquare = buckets.reduce(0) { $0 + ($1 - 10_000) * ($1 - 10_000) / 10_000 }
        #expect(chiSquare < 60, "chi-square \(chiSquare), buckets \(buckets)")
    }

    @Test func uniformReachesBothEnds() {
        let spec = WorkloadSpec(pattern: .uniform, blockSizes: [BlockSizeWeight(blockCount: 4, weight: 1)], seed: 3)
        let starts = Set(workloadOperations(spec, capacity: 20, count: 2000).map(\.startingLBA))
        #expect(starts == Set(0 ... 16), "every start that keeps 4 blocks inside 20")
    }

    @Test func hotSpotLandsInTheHotRegionAsOftenAsAsked() {
        let spec = WorkloadSpec(pattern: .hotSpot(hotFraction: 0.1, hotProbability: 0.8), blockSizes: workloadOneBlock, seed: 11)
        var stream = WorkloadStream(spec: spec, capacity: 1_000_000)
        #expect(stream.hotRegion == 0 ..< 100_000)
        let count = 100_000
        let hot = (0 ..< count).filter { _ in stream.next().startingLBA < 100_000 }.count
        // 0.8 aimed at the hot region, plus the uniform 0.2 of which a tenth
        // lands there anyway: 0.82.
        let share = Double(hot) / Double(count)
        #expect(abs(share - 0.82) < 0.01, "hot share \(share)")
    }

    @Test func hotRegionIsAtLeastOneBlock() {
        let tiny = WorkloadStream(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 1e-9, hotProbability: 1)), capacity: 1000)
        #expect(tiny.hotRegion == 0 ..< 1)
        let whole = WorkloadStream(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 1, hotProbability: 1)), capacity: UInt64.max)
        #expect(whole.hotRegion == 0 ..< UInt64.max)
        #expect(WorkloadStream(spec: WorkloadSpec(), capacity: 1000).hotRegion == nil)
    }

    @Test func blockSizesFollowTheirWeights() {
        let operations = workloadOperations(WorkloadSpec(seed: 13), capacity: 1 << 30, count: 100_000)
        var counts: [UInt32: Int] = [:]
        for operation in operations { counts[operation.blockCount, default: 0] += 1 }
        #expect(Set(counts.keys) == [1, 8, 64])
        #expect(abs(Double(counts[8]!) / 100_000 - 0.7) < 0.01)
        #expect(abs(Double(counts[1]!) / 100_000 - 0.2) < 0.01)
        #expect(abs(Double(counts[64]!) / 100_000 - 0.1) < 0.01)
    }

    @Test(arguments: [0.0, 0.25, 1.0])
    func deallocatesAreTheAskedShare(fraction: Double) {
        let operations = workloadOperations(WorkloadSpec(deallocateFraction: fraction, seed: 17), capacity: 1 << 30, count: 100_000)
        let share = Double(operations.filter { $0.kind == .deallocate }.count) / 100_000
        #expect(abs(share - fraction) < 0.01, "deallocate share \(share)")
    }

    @Test(arguments: workloadPatterns)
    func operationsNeverLeaveTheNamespace(pattern: WorkloadPattern) {
        // Sizes up to 64 blocks in a 10-block namespace: clamped to 10.
        var stream = WorkloadStream(spec: WorkloadSpec(pattern: pattern, deallocateFraction: 0.5, seed: 19), capacity: 10)
        #expect(stream.largestBlockCount == 10)
        var sawWhole = false
        for _ in 0 ..< 10_000 {
            let operation = stream.next()
            guard operation.blockCount >= 1, operation.startingLBA + UInt64(operation.blockCount) <= 10 else {
                Issue.record("operation \(operation) leaves a 10-block namespace")
                break
            }
            sawWhole = sawWhole || operation.blockCount == 10
        }
        #expect(sawWhole, "64-block operations become whole-namespace ones")
    }

    @Test func aOneBlockNamespaceGetsOneBlockOperations() {
        for pattern in workloadPatterns {
            let operations = workloadOperations(WorkloadSpec(pattern: pattern, seed: 23), capacity: 1, count: 100)
            #expect(operations.allSatisfy { $0.startingLBA == 0 && $0.blockCount == 1 })
        }
    }
}
