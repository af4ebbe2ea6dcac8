import ArgumentParser

/// What a size argument may be, for the messages that refuse one.
let acceptedSizes = "a whole number of bytes below 16 EiB, optionally with K, M, G or T (binary multiples), such as 4096, 64K, 256M or 1G"

/// `4096`, `64K`, `256M`, `1G`, `2T` (binary multiples; `KiB`, `MB` and the
/// like too), positive. Anything that does not fit in 64 bits is refused,
/// not wrapped.
func parseSize(_ text: String) throws -> UInt64 {
    let value = try parseSizeOrZero(text)
    guard value > 0 else { throw ValidationError("\(text) is not a size: a size is positive, \(acceptedSizes)") }
    return value
}

/// A size as `parseSize` reads it, where 0 means something (a threshold).
func parseSizeOrZero(_ text: String) throws -> UInt64 {
    var digits = Substring(text)
    for suffix in ["iB", "B"] where digits.hasSuffix(suffix) {
        digits = digits.dropLast(suffix.count)
        break
    }
    var shift: UInt64 = 0
    if let last = digits.last, let index = "KMGT".firstIndex(of: Character(last.uppercased())) {
        shift = 10 * UInt64("KMGT".distance(from: "KMGT".startIndex, to: index) + 1)
        digits = digits.dropLast()
    }
    guard digits.allSatisfy(\.isASCII), let value = UInt64(digits), value <= UInt64.max >> shift else {
        throw ValidationError("\(text) is not a size: \(acceptedSizes)")
    }
    return value << shift
}

/// `value` as an `Int` for an API that takes one, or a usage error naming
/// `flag` (a 64-bit size above `Int.max` would otherwise trap).
func checkedInt(_ value: UInt64, _ flag: String) throws -> Int {
    guard let int = Int(exactly: value) else { throw ValidationError("\(flag) \(value) is too large") }
    return int
}
