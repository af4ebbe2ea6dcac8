/// The 64-bit `user_data` of an SQE, split into a kind, a generation and an index.
///
/// Completions come back in any order and possibly after the thing they were
/// for has been reused (a queue detached and its slot given to another). The
/// generation makes such a stale completion recognisable, the way Linux's
/// NVMe driver tags command ids with a generation counter.
///
/// Layout: bits 63:56 kind, bits 55:40 generation, bits 31:0 index
/// (bits 39:32 are zero and must stay so).
public struct UserData: Hashable, Sendable, CustomStringConvertible {
    public let kind: UInt8
    public let generation: UInt16
    public let index: UInt32

    public init(kind: UInt8, generation: UInt16 = 0, index: UInt32) {
        self.kind = kind
        self.generation = generation
        self.index = index
    }

    /// Decodes any 64-bit value; bits 39:32 are ignored rather than trapped on,
    /// because user_data of a foreign SQE (or a kernel-generated CQE) may hold them.
    public init(rawValue: UInt64) {
        kind = UInt8(truncatingIfNeeded: rawValue >> 56)
        generation = UInt16(truncatingIfNeeded: rawValue >> 40)
        index = UInt32(truncatingIfNeeded: rawValue)
    }

    public var rawValue: UInt64 {
        UInt64(kind) << 56 | UInt64(generation) << 40 | UInt64(index)
    }

    public var description: String { "\(kind)/\(index)@\(generation)" }
}

/// Hands out generations for a fixed set of slots and recognises stale tags.
///
/// A slot's generation advances each time it is released, so a completion
/// carrying an older generation refers to a previous occupant. Bounded at
/// creation: no allocation after `init`. A class, not a noncopyable struct:
/// Swift 6.3.1 fails to compile the latter's deinit with ThreadSanitizer.
public final class GenerationTable {
    private let generations: UnsafeMutableBufferPointer<UInt16>

    public init(slots: Int) {
        precondition(slots > 0, "a generation table needs at least one slot")
        generations = .allocate(capacity: slots)
        generations.initialize(repeating: 0)
    }

    deinit { generations.deallocate() }

    public var count: Int { generations.count }

    /// The tag that names the current occupant of `slot`.
    public func tag(kind: UInt8, slot: Int) -> UserData {
        UserData(kind: kind, generation: generations[slot], index: UInt32(slot))
    }

    /// True when `tag` names the current occupant of its slot.
    public func isCurrent(_ tag: UserData) -> Bool {
        Int(tag.index) < generations.count && generations[Int(tag.index)] == tag.generation
    }

    /// Retires the current occupant: its tags become stale.
    public func advance(slot: Int) {
        generations[slot] &+= 1
    }
}
