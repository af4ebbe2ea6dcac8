import CDQNVMe

/// What is wrong with an entry the engine delivered as a `.problem`
/// record: the entry's own shape (`MigrationQueueEntry.validate()`), the
/// queue's scope, or the queue's phase tags. Carried in `CDQRecord.detail`,
/// so the values are part of the C interface (`CDQ_PROBLEM_*`): add, never
/// renumber.
///
/// A consumer cannot apply such an entry exactly, so it must assume that
/// anything may have changed (for a copy engine: the whole namespace is dirty).
public enum RecordProblem: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ESA 4, 5 or 6.
    case reservedEntryStatus = 1
    /// LBACIR 3.
    case reservedLBAChangeIndicator = 2
    /// A FIRST/LAST marker whose LBACIR is not 2.
    case markerWithLBAChange = 3
    /// A FIRST/LAST marker with a non-zero NSID, NLB or SLBA.
    case markerWithRange = 4
    /// A change record (ESA 0) with LBACIR 2: it claims to change nothing.
    case changeRecordWithoutChange = 5
    /// A change record with NSID 0.
    case changeRecordWithoutNamespace = 6
    /// SLBA + block count runs past 2^64.
    case rangeOverflow = 7
    /// A change record for a namespace outside the queue's scope.
    case namespaceOutOfScope = 8
    /// A range that starts at or runs past its namespace's capacity.
    case rangePastCapacity = 9
    /// The entry after this one carries the new phase while this one does
    /// not: the controller's tail skipped a slot (the record carries the
    /// skipped slot's stale bytes), so an entry may be missing.
    case tailJump = 10

    /// The same problem as `validate()` names it.
    public init(_ problem: EntryProblem) {
        switch problem {
        case .reservedEntryStatus: self = .reservedEntryStatus
        case .reservedLBAChangeIndicator: self = .reservedLBAChangeIndicator
        case .markerWithLBAChange: self = .markerWithLBAChange
        case .markerWithRange: self = .markerWithRange
        case .changeRecordWithoutChange: self = .changeRecordWithoutChange
        case .changeRecordWithoutNamespace: self = .changeRecordWithoutNamespace
        case .rangeOverflow: self = .rangeOverflow
        }
    }

    /// A stable snake_case name, for JSON keys and counters.
    public var name: String {
        switch self {
        case .reservedEntryStatus: "reserved_esa"
        case .reservedLBAChangeIndicator: "reserved_lbacir"
        case .markerWithLBAChange: "marker_with_lba_change"
        case .markerWithRange: "marker_with_range"
        case .changeRecordWithoutChange: "change_record_without_change"
        case .changeRecordWithoutNamespace: "change_record_without_namespace"
        case .rangeOverflow: "range_overflow"
        case .namespaceOutOfScope: "namespace_out_of_scope"
        case .rangePastCapacity: "range_past_capacity"
        case .tailJump: "tail_jump"
        }
    }

    public var description: String {
        switch self {
        case .reservedEntryStatus: "reserved ESA (4, 5 or 6)"
        case .reservedLBAChangeIndicator: "reserved LBACIR 3"
        case .markerWithLBAChange: "FIRST/LAST marker with LBACIR other than 2"
        case .markerWithRange: "FIRST/LAST marker with non-zero NSID, NLB or SLBA"
        case .changeRecordWithoutChange: "change record (ESA 0) with LBACIR 2"
        case .changeRecordWithoutNamespace: "change record with NSID 0"
        case .rangeOverflow: "range runs past the last possible LBA"
        case .namespaceOutOfScope: "NSID outside the queue's namespaces"
        case .rangePastCapacity: "range starts at or runs past the namespace's capacity"
        case .tailJump: "the tail skipped a slot (an entry may be missing)"
        }
    }
}
