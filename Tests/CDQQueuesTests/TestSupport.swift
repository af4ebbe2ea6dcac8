// Helpers shared by the ring tests.

import CDQQueues

/// A CDQ-entry-sized record: four 64-bit words, 32 bytes, no padding.
/// `numbered(_:)` derives every word from one sequence number, so a torn or
/// stale record does not pass `isIntact`.
struct Record32: BitwiseCopyable, Equatable {
    var a: UInt64
    var b: UInt64
    var c: UInt64
    var d: UInt64

    static func numbered(_ sequence: UInt64) -> Record32 {
        Record32(a: sequence, b: ~sequence, c: sequence &* 0x9E37_79B9_7F4A_7C15, d: sequence ^ 0xA5A5_5A5A_F00F_0FF0)
    }

    var isIntact: Bool { self == .numbered(a) }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, seeded, reproducible
/// generator. Randomised tests print their seed on failure; rerun with it.
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

    /// A number in `1...limit`.
    mutating func batch(upTo limit: Int) -> Int {
        Int(next() % UInt64(limit)) + 1
    }
}

extension SPSCRing {
    /// Pushes `elements` with one `push(contentsOf:)`; returns how many fit.
    func push(_ elements: [Element]) -> Int {
        elements.withUnsafeBufferPointer { push(contentsOf: $0) }
    }

    /// Pops up to `max` records with one `pop(into:)`.
    func pop(max: Int, placeholder: Element) -> [Element] {
        var buffer = [Element](repeating: placeholder, count: max)
        let popped = buffer.withUnsafeMutableBufferPointer { pop(into: $0) }
        return Array(buffer.prefix(popped))
    }

    /// Writes `elements` through `reserve`/`commit`; returns how many fit in
    /// one contiguous reservation.
    func reserveAndCommit(_ elements: [Element]) -> Int {
        let region = reserve(max: elements.count)
        for i in region.indices { region[i] = elements[i] }
        commit(region.count)
        return region.count
    }

    /// Reads up to `max` records through `peek`/`release`.
    func peekAndRelease(max: Int) -> [Element] {
        let region = peek(max: max)
        let elements = Array(region)
        release(region.count)
        return elements
    }
}
