/// SplitMix64 (Steele, Lea, Flood 2014): the workloads' seeded generator.
///
/// Chosen for being tiny (one add, two multiplies), allocation free and
/// fully determined by its seed, so a workload replays exactly; its
/// statistical quality is ample for choosing LBAs. Not for cryptography.
public struct WorkloadRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// 2^53: probabilities are compared on the top 53 bits of a draw, the
    /// precision of a `Double` in [0, 1).
    static let probabilityScale: UInt64 = 1 << 53

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A draw in `0 ..< bound` (`bound > 0`) by Lemire's multiply-high, with
    /// no division. Its bias, at most `bound / 2^64`, is far below anything
    /// a workload could show.
    public mutating func next(below bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }

    /// True with probability `threshold / 2^53`; see `threshold(probability:)`.
    public mutating func chance(_ threshold: UInt64) -> Bool {
        next() >> 11 < threshold
    }

    /// The `chance` threshold for `probability`: 0 (or less, or NaN) is
    /// never true and 1 (or more) is always true, exactly.
    public static func threshold(probability: Double) -> UInt64 {
        guard probability > 0 else { return 0 }
        guard probability < 1 else { return probabilityScale }
        return UInt64((probability * Double(probabilityScale)).rounded(.down))
    }
}
