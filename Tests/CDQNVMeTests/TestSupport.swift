// Helpers shared by the tests. They deliberately do not use the module's
// own byte helpers, so a bug there cannot hide a bug in what it encodes.

/// A 64-byte command image with each given dword stored little endian at
/// byte `4 * index`, everything else zero.
func image(dwords: [Int: UInt32]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 64)
    for (index, value) in dwords {
        put(value, into: &bytes, at: 4 * index)
    }
    return bytes
}

/// Stores `value` little endian at `offset`, by shifting.
func put<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
    for i in 0 ..< T.bitWidth / 8 {
        bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i))
    }
}

/// Reads a little-endian integer at `offset`, by shifting.
func get<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
    var value: T = 0
    for i in 0 ..< T.bitWidth / 8 {
        value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i)
    }
    return value
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, seeded, reproducible
/// generator. Property tests print their seed on failure; rerun with it.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `bytes` with random bytes.
    mutating func fill(_ bytes: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) where i < bytes.count {
                bytes[i] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                i += 1
            }
        }
    }
}
