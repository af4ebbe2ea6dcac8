import CDQNVMe

/// Entries a correct controller never writes for a queue of namespace 1
/// with `capacity` blocks, each naming the range `lba ..< lba + 8` where it
/// can: the catalogue the engine's and the migrator's tests feed through.
/// `problem` is the `RecordProblem.name` the engine must report.
public struct HostileEntry: Sendable, CustomStringConvertible {
    public var label: String
    public var entry: MigrationQueueEntry
    public var problem: String

    public var description: String { label }

    public static func catalogue(capacity: UInt64, lba: UInt64) -> [HostileEntry] {
        func change(nsid: UInt32 = 1, nlb: UInt32 = 7, slba: UInt64 = lba, esa: UInt8 = 0, lbacir: UInt8 = 0) -> MigrationQueueEntry {
            MigrationQueueEntry(nsid: nsid, numberOfLogicalBlocks: nlb, startingLBA: slba, attributes: esa << 1 | lbacir << 6)
        }
        return [
            HostileEntry(label: "reserved ESA 4", entry: change(esa: 4), problem: "reserved_esa"),
            HostileEntry(label: "reserved ESA 5", entry: change(esa: 5), problem: "reserved_esa"),
            HostileEntry(label: "reserved ESA 6", entry: change(esa: 6), problem: "reserved_esa"),
            HostileEntry(label: "reserved LBACIR 3", entry: change(lbacir: 3), problem: "reserved_lbacir"),
            HostileEntry(label: "NSID 0", entry: change(nsid: 0), problem: "change_record_without_namespace"),
            HostileEntry(label: "NSID 2", entry: change(nsid: 2), problem: "namespace_out_of_scope"),
            HostileEntry(label: "NSID 0xFFFFFFFF", entry: change(nsid: 0xFFFF_FFFF), problem: "namespace_out_of_scope"),
            HostileEntry(label: "ESA 0 with LBACIR 2", entry: change(lbacir: 2), problem: "change_record_without_change"),
            HostileEntry(label: "SLBA at capacity", entry: change(slba: capacity), problem: "range_past_capacity"),
            HostileEntry(label: "SLBA past capacity", entry: change(slba: capacity + 1000), problem: "range_past_capacity"),
            HostileEntry(label: "range across the end", entry: change(slba: capacity - 4), problem: "range_past_capacity"),
            HostileEntry(label: "range wrapping past 2^64", entry: change(nlb: 15, slba: UInt64.max - 3), problem: "range_overflow"),
            HostileEntry(label: "FIRST with a range", entry: change(esa: 1, lbacir: 2), problem: "marker_with_range"),
            HostileEntry(label: "LAST with LBACIR 0", entry: change(nsid: 0, nlb: 0, slba: 0, esa: 3, lbacir: 0), problem: "marker_with_lba_change"),
        ]
    }
}
