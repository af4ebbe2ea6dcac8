/// One 32-byte entry of a user data migration queue: the kind of CDQ (see
/// `ControllerDataQueue`) in which the controller logs every range of user
/// data a migratable controller changed, so that a copy engine can resend
/// just those LBAs (cdq-protocol.md §2).
///
/// | bytes | field |
/// |---|---|
/// | 0-3 | NSID |
/// | 4-7 | NLB, number of logical blocks, 0's based |
/// | 8-15 | SLBA, starting LBA |
/// | 16-30 | reserved, ignored on read, zero on write |
/// | 31 | attributes: CDQP, ESA, deallocated, LBACIR |
///
/// The words of the attributes byte:
/// - **Phase tag (CDQP)**, bit 0: how the host finds new entries without
///   reading the tail. The queue starts zeroed, the controller writes
///   phase 1 on its first lap and inverts the value on every wrap, so an
///   entry whose phase differs from the value last seen at that slot is new.
/// - **ESA**, bits 3:1: the entry's place in the logging sequence
///   (`EntryStatusAttribute`): a change record, or a FIRST/LAST marker.
/// - **Deallocated**, bit 5: the range was deallocated rather than written.
/// - **LBACIR**, bits 7:6: how much of the namespace the entry covers
///   (`LBAChangeIndicator`).
///
/// Decoding is total and never allocates: any 32 bytes from a device give
/// an entry, and `validate()` reports what does not make sense.
public struct MigrationQueueEntry: Sendable, Hashable, BitwiseCopyable {
    public static let size = 32
    /// Byte offset of the attributes byte (phase tag) in an entry.
    public static let attributesOffset = 31

    /// NSID of the namespace the change happened in.
    public var nsid: UInt32
    /// NLB exactly as stored: 0's based per the specification, but see
    /// `blockCount(convention:)`.
    public var numberOfLogicalBlocks: UInt32
    /// SLBA: first logical block of the range.
    public var startingLBA: UInt64
    /// Byte 31 exactly as stored, reserved bit 4 included.
    public var attributes: UInt8

    /// Creates an entry from raw field values, as stored.
    @inlinable
    public init(nsid: UInt32, numberOfLogicalBlocks: UInt32, startingLBA: UInt64, attributes: UInt8) {
        self.nsid = nsid
        self.numberOfLogicalBlocks = numberOfLogicalBlocks
        self.startingLBA = startingLBA
        self.attributes = attributes
    }

    /// Creates an entry as a controller (or simulator) would post it.
    /// `numberOfLogicalBlocks` is the raw stored value (0's based for the
    /// specification convention).
    public init(
        nsid: UInt32, numberOfLogicalBlocks: UInt32, startingLBA: UInt64,
        phaseTag: Bool, entryStatus: EntryStatusAttribute = .middle,
        deallocated: Bool = false, lbaChange: LBAChangeIndicator = .rangeChanged
    ) {
        self.init(
            nsid: nsid, numberOfLogicalBlocks: numberOfLogicalBlocks, startingLBA: startingLBA,
            attributes: Self.attributesByte(
                phaseTag: phaseTag, entryStatus: entryStatus,
                deallocated: deallocated, lbaChange: lbaChange))
    }

    /// A FIRST or LAST marker as cdq-protocol.md §2 describes it: zero range
    /// fields and LBACIR 2 (no LBA change).
    public static func marker(_ entryStatus: EntryStatusAttribute, phaseTag: Bool) -> MigrationQueueEntry {
        MigrationQueueEntry(
            nsid: 0, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: phaseTag,
            entryStatus: entryStatus, lbaChange: .noLBAChange)
    }

    /// Decodes the 32 bytes at `bytes` (any alignment). The caller
    /// guarantees 32 readable bytes; any content is accepted.
    ///
    /// A consumer reads the phase tag first, and only after an acquire
    /// fence (or acquire load of byte 31) calls this, so that the fields it
    /// reads are the ones written before the phase (cdq-protocol.md §3).
    @inlinable
    public init(bytes: UnsafeRawPointer) {
        self.init(
            nsid: LittleEndian.load(UInt32.self, from: bytes, offset: 0),
            numberOfLogicalBlocks: LittleEndian.load(UInt32.self, from: bytes, offset: 4),
            startingLBA: LittleEndian.load(UInt64.self, from: bytes, offset: 8),
            attributes: bytes.load(fromByteOffset: Self.attributesOffset, as: UInt8.self))
    }

    /// Decodes the first 32 bytes of `buffer`; `nil` if it is shorter.
    @inlinable
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size, let base = buffer.baseAddress else { return nil }
        self.init(bytes: base)
    }

    /// Writes the entry to `destination` (32 bytes, any alignment): bytes
    /// 0-15 from the fields, reserved bytes 16-30 as zero, and byte 31 only
    /// when `includingPhase`.
    ///
    /// A producer posting into live queue memory passes `false` and then
    /// stores `attributesByte` itself with release ordering: the phase tag
    /// is what tells the consumer the entry is complete, so it must become
    /// visible after every other byte (the same rule as an NVMe completion
    /// queue; cdq-protocol.md §3). `true` is for building images that
    /// nobody reads concurrently.
    @inlinable
    public func write(to destination: UnsafeMutableRawPointer, includingPhase: Bool) {
        LittleEndian.store(nsid, to: destination, offset: 0)
        LittleEndian.store(numberOfLogicalBlocks, to: destination, offset: 4)
        LittleEndian.store(startingLBA, to: destination, offset: 8)
        // Reserved bytes 16-30; plain stores so the memory's bound type is untouched.
        LittleEndian.store(UInt64(0), to: destination, offset: 16)
        LittleEndian.store(UInt32(0), to: destination, offset: 24)
        LittleEndian.store(UInt16(0), to: destination, offset: 28)
        destination.storeBytes(of: 0, toByteOffset: 30, as: UInt8.self)
        if includingPhase {
            destination.storeBytes(of: attributes, toByteOffset: Self.attributesOffset, as: UInt8.self)
        }
    }

    /// The attributes byte (byte 31) a producer stores last.
    @inlinable
    public var attributesByte: UInt8 { attributes }

    /// Composes an attributes byte; reserved bit 4 is zero.
    @inlinable
    public static func attributesByte(
        phaseTag: Bool, entryStatus: EntryStatusAttribute,
        deallocated: Bool, lbaChange: LBAChangeIndicator
    ) -> UInt8 {
        (phaseTag ? 1 : 0)
            | entryStatus.rawValue << 1
            | (deallocated ? 1 << 5 : 0)
            | lbaChange.rawValue << 6
    }

    /// CDQP, bit 0.
    @inlinable
    public var phaseTag: Bool { attributes & 1 != 0 }
    /// ESA, bits 3:1.
    @inlinable
    public var entryStatus: EntryStatusAttribute { EntryStatusAttribute(rawValue: attributes >> 1) }
    /// Bit 5: the logged change deallocated the range.
    @inlinable
    public var deallocated: Bool { attributes & (1 << 5) != 0 }
    /// LBACIR, bits 7:6.
    @inlinable
    public var lbaChange: LBAChangeIndicator { LBAChangeIndicator(rawValue: attributes >> 6) }

    /// True for FIRST and LAST entries, which mark the logging sequence and
    /// describe no range.
    @inlinable
    public var isMarker: Bool { entryStatus.isMarker }

    /// Number of logical blocks in the range, 1's based, under `convention`.
    /// Never overflows (the result is 64-bit).
    ///
    /// Meaningful for range entries (ESA middle, LBACIR 0); for markers and
    /// whole-namespace entries the range fields carry no range.
    @inlinable
    public func blockCount(convention: NLBConvention = .specification) -> UInt64 {
        switch convention {
        case .specification:
            return UInt64(numberOfLogicalBlocks) + 1
        case .tp4159Emulation:
            return deallocated ? UInt64(numberOfLogicalBlocks) : UInt64(numberOfLogicalBlocks) + 1
        }
    }
}

/// How to read an entry's NLB field.
///
/// The specification makes NLB 0's based everywhere. The QEMU TP4159
/// emulation (`nvme.tp4159`) stores writes and Write Zeroes 0's based but
/// deallocation (Dataset Management) ranges 1's based, because it copies
/// the DSM range length, which is 1's based (cdq-protocol.md §2). The
/// engine picks the convention per backend and always works with a 1's
/// based `blockCount`.
public enum NLBConvention: Sendable, Hashable, CaseIterable {
    /// NLB + 1 for every entry.
    case specification
    /// NLB + 1, except entries with the deallocated bit: NLB as is (so an
    /// NLB of 0 there means an empty range).
    case tp4159Emulation
}

/// ESA (attributes bits 3:1): where an entry sits in a logging sequence.
/// Logging starts with one FIRST entry, continues with change records
/// (middle), and ends with one LAST entry that says why it ended.
public enum EntryStatusAttribute: Sendable, Hashable {
    /// 0: a change record.
    case middle
    /// 1: Track Send started logging.
    case first
    /// 2: Track Send stopped logging.
    case lastLoggingStopped
    /// 3: Migration Send suspended the controller.
    case lastControllerSuspended
    /// 7: this entry filled the queue; later changes are lost, so the
    /// consumer must treat the whole namespace as changed (cdq-protocol.md §3).
    case lastQueueFull
    /// 4, 5 or 6: reserved.
    case reserved(UInt8)

    /// Decodes the low three bits of `rawValue`; total.
    @inlinable
    public init(rawValue: UInt8) {
        switch rawValue & 0b111 {
        case 0: self = .middle
        case 1: self = .first
        case 2: self = .lastLoggingStopped
        case 3: self = .lastControllerSuspended
        case 7: self = .lastQueueFull
        case let other: self = .reserved(other)
        }
    }

    /// The 3-bit ESA value. For `.reserved`, the carried value's low three
    /// bits.
    @inlinable
    public var rawValue: UInt8 {
        switch self {
        case .middle: 0
        case .first: 1
        case .lastLoggingStopped: 2
        case .lastControllerSuspended: 3
        case .lastQueueFull: 7
        case .reserved(let value): value & 0b111
        }
    }

    /// FIRST or any LAST.
    @inlinable
    public var isMarker: Bool {
        switch self {
        case .first, .lastLoggingStopped, .lastControllerSuspended, .lastQueueFull: true
        case .middle, .reserved: false
        }
    }

    /// Any LAST: logging has ended for this queue.
    @inlinable
    public var isLast: Bool {
        switch self {
        case .lastLoggingStopped, .lastControllerSuspended, .lastQueueFull: true
        case .middle, .first, .reserved: false
        }
    }
}

/// LBACIR (attributes bits 7:6): which LBAs an entry reports as changed.
public enum LBAChangeIndicator: UInt8, Sendable, Hashable, CaseIterable {
    /// 0: the range NSID/SLBA/NLB changed.
    case rangeChanged = 0
    /// 1: every LBA of namespace NSID changed (resynchronise it).
    case allLBAsChanged = 1
    /// 2: no LBA changed (markers).
    case noLBAChange = 2
    /// 3: reserved.
    case reserved = 3

    /// Decodes the low two bits of `rawValue`; total.
    @inlinable
    public init(rawValue: UInt8) {
        switch rawValue & 0b11 {
        case 0: self = .rangeChanged
        case 1: self = .allLBAsChanged
        case 2: self = .noLBAChange
        default: self = .reserved
        }
    }
}
