/// What is wrong with a user data migration queue entry, as found by
/// `MigrationQueueEntry.validate()`.
///
/// Entries come from a device and are never trusted (cdq-protocol.md §4):
/// the consumer reports these instead of crashing, and decides itself
/// whether to skip the entry or resynchronise the namespace.
public enum EntryProblem: Sendable, Hashable, CustomStringConvertible {
    /// ESA is 4, 5 or 6.
    case reservedEntryStatus(UInt8)
    /// LBACIR is 3.
    case reservedLBAChangeIndicator
    /// A FIRST/LAST marker whose LBACIR is not 2 (no LBA change).
    case markerWithLBAChange(EntryStatusAttribute, LBAChangeIndicator)
    /// A FIRST/LAST marker whose NSID, NLB or SLBA is not zero.
    case markerWithRange(EntryStatusAttribute)
    /// A middle entry (a change record) with LBACIR 2: it claims to change
    /// nothing, which only markers do.
    case changeRecordWithoutChange
    /// A change record with NSID 0, which names no namespace.
    case changeRecordWithoutNamespace
    /// SLBA + block count runs past the last possible LBA (2^64 - 1).
    case rangeOverflow(startingLBA: UInt64, blockCount: UInt64)

    public var description: String {
        switch self {
        case .reservedEntryStatus(let value):
            "reserved ESA \(value)"
        case .reservedLBAChangeIndicator:
            "reserved LBACIR 3"
        case .markerWithLBAChange(let esa, let lbacir):
            "marker (ESA \(esa.rawValue)) with LBACIR \(lbacir.rawValue), expected 2"
        case .markerWithRange(let esa):
            "marker (ESA \(esa.rawValue)) with non-zero NSID, NLB or SLBA"
        case .changeRecordWithoutChange:
            "change record (ESA 0) with LBACIR 2 (no LBA change)"
        case .changeRecordWithoutNamespace:
            "change record with NSID 0"
        case .rangeOverflow(let slba, let count):
            "range of \(count) blocks at SLBA \(slba) runs past the last LBA"
        }
    }
}

extension MigrationQueueEntry {
    /// The first problem found in this entry, or `nil` when it is
    /// well-formed per cdq-protocol.md §2. Never traps, never allocates.
    ///
    /// Checks, in order: reserved ESA, reserved LBACIR, marker shape
    /// (LBACIR 2, zero range fields), change record shape (not LBACIR 2,
    /// NSID not 0, range within 64 bits under the specification's NLB
    /// convention, the larger of the two). Whether the NSID and range
    /// belong to the queue's namespaces is the engine's check, not this one.
    public func validate() -> EntryProblem? {
        let esa = entryStatus
        if case .reserved(let value) = esa { return .reservedEntryStatus(value) }
        let lbacir = lbaChange
        if lbacir == .reserved { return .reservedLBAChangeIndicator }
        if esa.isMarker {
            if lbacir != .noLBAChange { return .markerWithLBAChange(esa, lbacir) }
            if nsid != 0 || numberOfLogicalBlocks != 0 || startingLBA != 0 {
                return .markerWithRange(esa)
            }
            return nil
        }
        if lbacir == .noLBAChange { return .changeRecordWithoutChange }
        if nsid == 0 { return .changeRecordWithoutNamespace }
        if lbacir == .rangeChanged {
            // The last block is SLBA + count - 1; it must fit in 64 bits.
            let count = blockCount(convention: .specification)
            if startingLBA > UInt64.max - (count - 1) {
                return .rangeOverflow(startingLBA: startingLBA, blockCount: count)
            }
        }
        return nil
    }
}
