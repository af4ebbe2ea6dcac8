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
