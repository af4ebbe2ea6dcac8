import CDQNVMe

/// The engine's rule for one entry of one queue: is it well-formed
/// (`MigrationQueueEntry.validate()`) and inside the queue's scope (its
/// namespaces, each range within capacity)? Pure: no state, no I/O, so the
/// loop and any other reader of a CDQ apply the very same rule.
///
/// Built once per queue at registration. The usual entry, a range change
/// record (ESA 0, LBACIR 0) inside the scope's first namespace, is decided
/// by a few integer compares inline; anything else takes the full rules
/// (`validate()`, then the scope).
public struct EntryCheck: Sendable {
    /// The scope's first namespace, held inline so the usual queue (one
    /// namespace) is checked without touching an array; NSID 0 (which no
    /// change record may name) when the scope is empty.
    @usableFromInline let firstNSID: UInt32
    @usableFromInline let firstCapacity: UInt64
    /// The scope's other namespaces.
    @usableFromInline let others: [QueueScope.Namespace]
    @usableFromInline let scoped: Bool
    @usableFromInline let convention: NLBConvention
    /// The inline fast path applies: a scope whose first namespace counts
    /// NLB the specification's way.
    @usableFromInline let fastPath: Bool

    /// `nil`: no scope was given, so only `validate()` applies.
    public init(scope: QueueScope?) {
        let namespaces = scope?.namespaces ?? []
        firstNSID = namespaces.first?.nsid ?? 0
        firstCapacity = namespaces.first?.capacity ?? 0
        others = Array(namespaces.dropFirst())
        scoped = scope != nil
        convention = scope?.convention ?? .specification
        fastPath = scope != nil && convention == .specification && firstNSID != 0
    }

    /// ESA bits (3:1) and LBACIR bits (7:6) of the attributes byte.
    @usableFromInline static let statusAndChangeBits: UInt8 = 0b1100_1110

    /// The usual entry's scope, for a caller that checks range change
    /// records (ESA 0, LBACIR 0) inline: such an entry is accepted as it is
    /// when its NSID is one of `nsid...nsid + otherNSIDs` and it ends inside
    /// `capacity` blocks (slba < capacity and nlb < capacity - slba, which
    /// also rules out a wrap past 2^64).
    ///
    /// - A scope: its first namespace, `otherNSIDs` 0.
    /// - No scope: any NSID but 0 (1 and the next 2^32 - 2), any range that
    ///   does not wrap (`capacity` 2^64 - 1; the one range that ends exactly
    ///   at 2^64 - 1 takes the full rules, and passes them).
    /// - Another NLB convention: `capacity` 0, so nothing is accepted inline.
    ///
    /// Whatever is not accepted inline goes to `problem(_:)`, which has
    /// every rule. Plain values, so a drain loop keeps them in registers.
    @inlinable
    public var usualRange: UsualRange {
        if fastPath { return UsualRange(nsid: firstNSID, otherNSIDs: 0, capacity: firstCapacity) }
        if !scoped { return UsualRange(nsid: 1, otherNSIDs: UInt32.max - 1, capacity: UInt64.max) }
        return UsualRange(nsid: 0, otherNSIDs: 0, capacity: 0)
    }

    /// See `usualRange`.
    public struct UsualRange: Sendable {
        public var nsid: UInt32
        public var otherNSIDs: UInt32
        public var capacity: UInt64

        @inlinable
        public init(nsid: UInt32, otherNSIDs: UInt32, capacity: UInt64) {
            self.nsid = nsid
            self.otherNSIDs = otherNSIDs
            self.capacity = capacity
        }
    }

    /// The usual entry's rule against `usualRange`'s values: the one place
    /// it is written, for `problem(_:)` and the drain loop alike. One
    /// unsigned compare for the NSID (a wrapped difference), two for the range.
    @inlinable @inline(__always)
    public static func inUsualRange(nsid: UInt32, nlb: UInt32, slba: UInt64, _ usual: UsualRange) -> Bool {
        nsid &- usual.nsid <= usual.otherNSIDs && slba < usual.capacity && UInt64(nlb) < usual.capacity &- slba
    }

    /// The problem with `entry`, or nil when it can be applied as it is.
    @inlinable
    public func problem(_ entry: MigrationQueueEntry) -> RecordProblem? {
        // The usual entry: a range change record of the first namespace that
        // ends inside it (slba + nlb + 1 <= capacity, which also rules out
        // a wrap past 2^64). A handful of instructions.
        if entry.attributes & Self.statusAndChangeBits == 0
            && Self.inUsualRange(nsid: entry.nsid, nlb: entry.numberOfLogicalBlocks, slba: entry.startingLBA, usualRange) {
            return nil
        }
        if entry.attributes & Self.statusAndChangeBits == 0 {
            // A range change record: the common case, checked inline.
            if entry.nsid == 0 { return .changeRecordWithoutNamespace }
            let count = UInt64(entry.numberOfLogicalBlocks) + 1
            if entry.startingLBA > UInt64.max - (count - 1) { return .rangeOverflow }
        } else if let problem = entry.validate() {
            return RecordProblem(problem)
        } else if entry.isMarker {
            return nil
        }
        return scoped ? scopeProblem(entry) : nil
    }

    /// A well-formed change record against the queue's namespaces.
    @inlinable
    func scopeProblem(_ entry: MigrationQueueEntry) -> RecordProblem? {
        if entry.nsid == firstNSID { return rangeProblem(entry, capacity: firstCapacity) }
        for namespace in others where namespace.nsid == entry.nsid {
            return rangeProblem(entry, capacity: namespace.capacity)
        }
        return .namespaceOutOfScope
    }

    /// A change record of a namespace with `capacity` blocks: its range must end inside it.
    @inlinable
    func rangeProblem(_ entry: MigrationQueueEntry, capacity: UInt64) -> RecordProblem? {
        guard entry.lbaChange == .rangeChanged else { return nil }
        let count = entry.blockCount(convention: convention)
        return entry.startingLBA < capacity && count <= capacity - entry.startingLBA ? nil : .rangePastCapacity
    }
}
