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
