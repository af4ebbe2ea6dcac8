/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, seeded, reproducible
/// generator for the test suites. Randomised tests print their seed on
/// failure; rerun with it.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `bytes` with random bytes.
    public mutating func fill(_ bytes: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) where i < bytes.count {
                bytes[i] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                i += 1
            }
        }
    }

    /// A number in `1...limit`.
    public mutating func batch(upTo limit: Int) -> Int {
        Int(next() % UInt64(limit)) + 1
    }
}
