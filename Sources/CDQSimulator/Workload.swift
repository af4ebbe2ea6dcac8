/// Where a workload's operations land in the namespace.
public enum WorkloadPattern: Sendable, Hashable {
    /// Each operation starts where the previous one ended. At the end of the
    /// namespace the last operation is shortened to end exactly at the
    /// capacity, and the next one starts again at LBA 0.
    case sequential
    /// Starting LBAs drawn uniformly from every start that keeps the
    /// operation inside the namespace.
    case uniform
    /// A skewed, Zipf-like stream: with probability `hotProbability` the
    /// operation lands in the hot region, the first `hotFraction` of the
    /// namespace; otherwise it is drawn as `.uniform` (and may land in the
    /// hot region too). `(0.2, 0.8)` is the classic 80/20 skew.
    case hotSpot(hotFraction: Double, hotProbability: Double)
}

/// One entry of a workload's block size mix: operations of `blockCount`
/// blocks, chosen with probability `weight / sum of all weights`.
public struct BlockSizeWeight: Sendable, Hashable {
    public var blockCount: UInt32
    public var weight: Double

    public init(blockCount: UInt32, weight: Double) {
        self.blockCount = blockCount
        self.weight = weight
    }
}

/// What a `WorkloadGenerator` writes: pattern, sizes, rate and seed.
///
/// A spec is a value; `problem` says whether it can run. The same spec
/// against the same capacity always yields the same operations.
public struct WorkloadSpec: Sendable, Hashable {
    public var pattern: WorkloadPattern
    /// The block size mix; at most `maximumBlockSizes` entries. A size
    /// larger than the namespace is clamped to its capacity.
    public var blockSizes: [BlockSizeWeight]
    /// Operations (writes and deallocates) per second; nil = as fast as the
    /// target takes them. Paced on the monotonic clock; after a stall the
    /// generator catches up in bursts of at most
    /// `WorkloadPacer.defaultMaximumBurst` operations and forgets the rest.
    public var writesPerSecond: Double?
    /// Share of operations that are deallocates, 0...1.
    public var deallocateFraction: Double
    public var seed: UInt64
    /// True: every write carries data whose blocks start with a
    /// `WorkloadStamp` (LBA, sequence), so a copy can be verified. False:
    /// writes carry no data, for `.discard` namespaces.
    public var storesData: Bool

    /// 8 blocks 70 %, 1 block 20 %, 64 blocks 10 %: mostly page-sized
    /// writes, some small metadata updates, a few large ones.
    public static let defaultBlockSizes = [
        BlockSizeWeight(blockCount: 8, weight: 0.7),
        BlockSizeWeight(blockCount: 1, weight: 0.2),
        BlockSizeWeight(blockCount: 64, weight: 0.1),
    ]
    /// Bound on the mix, so choosing a size stays a short scan.
    public static let maximumBlockSizes = 64
    /// The largest operation a single NVMe Write can ask for (NLB is a
    /// 16-bit, 0's based field).
    public static let maximumBlockCount: UInt32 = 65536

    public init(
        pattern: WorkloadPattern = .uniform,
        blockSizes: [BlockSizeWeight] = WorkloadSpec.defaultBlockSizes,
        writesPerSecond: Double? = nil,
        deallocateFraction: Double = 0,
        seed: UInt64 = 0,
        storesData: Bool = true
    ) {
        self.pattern = pattern
        self.blockSizes = blockSizes
        self.writesPerSecond = writesPerSecond
        self.deallocateFraction = deallocateFraction
        self.seed = seed
        self.storesData = storesData
    }

    /// Why this spec cannot run, or nil when it can.
    public var problem: String? {
        blockSizesProblem ?? patternProblem ?? rateProblem
    }

    private var blockSizesProblem: String? {
        if blockSizes.isEmpty { return "the block size mix is empty" }
        if blockSizes.count > Self.maximumBlockSizes {
            return "the block size mix has \(blockSizes.count) entries (at most \(Self.maximumBlockSizes))"
        }
        for size in blockSizes {
            if size.blockCount == 0 || size.blockCount > Self.maximumBlockCount {
                return "block count \(size.blockCount) is not in 1...\(Self.maximumBlockCount)"
            }
            if !(size.weight.isFinite && size.weight > 0) {
                return "weight \(size.weight) of \(size.blockCount) blocks is not a positive number"
            }
        }
        return nil
    }

    private var patternProblem: String? {
        guard case .hotSpot(let fraction, let probability) = pattern else { return nil }
        if !(fraction > 0 && fraction <= 1) { return "hot fraction \(fraction) is not in (0, 1]" }
        if !(probability >= 0 && probability <= 1) { return "hot probability \(probability) is not in [0, 1]" }
        return nil
    }

    private var rateProblem: String? {
        if let rate = writesPerSecond, !(rate.isFinite && rate > 0) {
            return "rate \(rate) per second is not a positive number"
        }
        if !(deallocateFraction >= 0 && deallocateFraction <= 1) {
            return "deallocate fraction \(deallocateFraction) is not in [0, 1]"
        }
        return nil
    }
}

/// One operation of a workload, as issued to the target.
public struct WorkloadOperation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case write
        case deallocate
    }

    public var kind: Kind
    public var startingLBA: UInt64
    /// 1's based; always at least 1 and never past the namespace's end.
    public var blockCount: UInt32
    /// Position in the stream, from 1; written into the blocks' stamps.
    public var sequence: UInt64

    public init(kind: Kind, startingLBA: UInt64, blockCount: UInt32, sequence: UInt64) {
        self.kind = kind
        self.startingLBA = startingLBA
        self.blockCount = blockCount
        self.sequence = sequence
    }
}
