/// The deterministic sequence of operations a workload issues: a
/// `WorkloadSpec` and a capacity turned into (kind, starting LBA, block
/// count) triples.
///
/// Pure and allocation free after init: `next()` only draws from the seeded
/// generator, so the same spec and capacity always give the same stream,
/// whoever consumes it (a generator thread, `WorkloadGenerator.run`, or a
/// test that only looks at the operations).
///
/// Operations never leave the namespace: a block size larger than the
/// capacity is clamped to it, random starts are drawn only from starts that
/// keep the whole operation inside (no redraw loop, so every `next()` costs
/// the same), and a sequential stream shortens its last operation before
/// wrapping.
public struct WorkloadStream: Sendable {
    /// Number of LBAs in the namespace.
    public let capacity: UInt64
    /// The largest block count `next()` can return (after clamping): the
    /// size of the buffer a writer needs.
    public let largestBlockCount: UInt32
    /// The LBAs a hot spot aims at, nil for the other patterns.
    public let hotRegion: Range<UInt64>?

    private var random: WorkloadRandom
    private let placement: Placement
    /// The mix's block counts, clamped to the capacity, and for each the
    /// upper `chance` bound of a cumulative draw (the last is 2^53).
    private let blockCounts: [UInt32]
    private let cumulativeThresholds: [UInt64]
    private let deallocateThreshold: UInt64
    /// Next start of a sequential stream.
    private var cursor: UInt64 = 0
    private var sequence: UInt64 = 0

    private enum Placement {
        case sequential
        case uniform
        case hotSpot(hotBlocks: UInt64, threshold: UInt64)
    }

    /// - Precondition: `spec.problem == nil` and `capacity > 0`.
    public init(spec: WorkloadSpec, capacity: UInt64) {
        precondition(spec.problem == nil, "invalid workload: \(spec.problem ?? "")")
        precondition(capacity > 0, "a workload needs a namespace of at least one LBA")
        self.capacity = capacity
        random = WorkloadRandom(seed: spec.seed)
        blockCounts = spec.blockSizes.map { UInt32(min(UInt64($0.blockCount), capacity)) }
        largestBlockCount = blockCounts.max() ?? 1
        cumulativeThresholds = Self.cumulativeThresholds(spec.blockSizes.map(\.weight))
        deallocateThreshold = WorkloadRandom.threshold(probability: spec.deallocateFraction)
        switch spec.pattern {
        case .sequential: placement = .sequential; hotRegion = nil
        case .uniform: placement = .uniform; hotRegion = nil
        case .hotSpot(let fraction, let probability):
            let hotBlocks = Self.hotBlocks(capacity: capacity, fraction: fraction)
            placement = .hotSpot(hotBlocks: hotBlocks, threshold: WorkloadRandom.threshold(probability: probability))
            hotRegion = 0 ..< hotBlocks
        }
    }

    /// The next operation. Draw order is fixed (kind, size, start) so that
    /// a seed names one stream.
    public mutating func next() -> WorkloadOperation {
        sequence += 1
        let kind: WorkloadOperation.Kind =
            deallocateThreshold > 0 && random.chance(deallocateThreshold) ? .deallocate : .write
        var blockCount = nextBlockCount()
        let start: UInt64
        switch placement {
        case .sequential:
            start = cursor
            blockCount = UInt32(min(UInt64(blockCount), capacity - cursor))
            cursor = start + UInt64(blockCount) == capacity ? 0 : start + UInt64(blockCount)
        case .uniform:
            start = nextStart(within: capacity, blockCount: blockCount)
        case .hotSpot(let hotBlocks, let threshold):
            let region = random.chance(threshold) ? max(hotBlocks, UInt64(blockCount)) : capacity
            start = nextStart(within: region, blockCount: blockCount)
        }
        return WorkloadOperation(kind: kind, startingLBA: start, blockCount: blockCount, sequence: sequence)
    }

    /// A block count from the mix; a mix of one size draws nothing.
    private mutating func nextBlockCount() -> UInt32 {
        guard blockCounts.count > 1 else { return blockCounts[0] }
        let draw = random.next() >> 11
        var index = 0
        // Terminates: the last threshold is 2^53 and a draw is below it.
        while draw >= cumulativeThresholds[index] { index += 1 }
        return blockCounts[index]
    }

    /// A start such that the operation ends within the first `region` LBAs
    /// (`region >= blockCount`).
    private mutating func nextStart(within region: UInt64, blockCount: UInt32) -> UInt64 {
        random.next(below: region - UInt64(blockCount) + 1)
    }

    private static func cumulativeThresholds(_ weights: [Double]) -> [UInt64] {
        let total = weights.reduce(0, +)
        var sum = 0.0
        var thresholds = weights.map { weight -> UInt64 in
            sum += weight
            return WorkloadRandom.threshold(probability: sum / total)
        }
        thresholds[thresholds.count - 1] = WorkloadRandom.probabilityScale
        return thresholds
    }

    /// The first `fraction` of the namespace, at least one LBA; computed in
    /// `Double` without ever converting a value past `UInt64.max`.
    private static func hotBlocks(capacity: UInt64, fraction: Double) -> UInt64 {
        let scaled = (Double(capacity) * fraction).rounded(.down)
        guard scaled < Double(capacity) else { return capacity }
        return max(1, UInt64(scaled))
    }
}
