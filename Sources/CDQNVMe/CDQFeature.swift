/// Controller Data Queue (CDQ): a ring of fixed-size entries in host
/// memory that a controller fills and the host drains, the reverse of a
/// submission queue. This project uses one kind, the user data migration
/// queue, whose entries (`MigrationQueueEntry`) record which LBAs a
/// migratable controller wrote (cdq-protocol.md §2, §3).
///
/// The words, as the specification uses them:
/// - **Managing controller / migratable controller**: the CDQ commands go
///   to the admin queue of a managing controller; they describe another
///   controller (identified by its CNTLID, or the managing controller
///   itself) whose state and writes are being migrated, the migratable
///   controller.
/// - **CDQID**: the 16-bit identifier the controller assigns at create
///   (completion DW0[15:0]); every later command names the queue by it.
/// - **Tail**: the index of the entry the controller will write next; only
///   the controller moves it, and the host learns it only through phase
///   tags (see `MigrationQueueEntry.phaseTag`).
/// - **Head**: the index of the oldest entry the host has not consumed.
///   The controller does not see host memory reads, so the host reports
///   the head with Set Features FID 0x21; entries between head and tail are
///   outstanding and the queue is full at `entries - 1` of them.
/// - **Tail pointer trigger (TPT)**: an entry index the host arms (ETPT =
///   1); when the tail reaches it the controller sends one asynchronous
///   event (`AsyncEventResult.controllerDataQueueEvent`) and disarms.
///
/// Head and trigger are entry indexes, not byte offsets; the queue size at
/// create is in dwords.
public enum ControllerDataQueue {
    /// Queue type (MOS[7:0] of create) of a user data migration queue.
    public static let userDataMigrationQueue: UInt8 = 0

    /// The fewest entries a queue must have to carry a migration's
    /// smallest log whole: FIRST, one change and a LAST, posted before the
    /// host reads any of them. The controller replaces the entry that
    /// leaves `entries - 1` outstanding (the queue full, `(tail + 1) %
    /// entries == head`) by ESA 7 (cdq-protocol.md §3), so three entries
    /// outstanding need `entries - 2 >= 3`. Smaller queues lose a change or
    /// the LAST on every burst; hosts refuse them.
    public static let minimumEntries: UInt32 = 5

    /// Why a queue of `entries` entries is too small, or nil.
    public static func tooFewEntries(_ entries: UInt32) -> String? {
        entries >= minimumEntries ? nil
            : "a queue of \(entries) entries cannot hold a FIRST, a change and a LAST without filling; "
                + "it needs at least \(minimumEntries)"
    }
}

/// The data of Get Features FID 0x21 (Controller Data Queue): the head and
/// tail pointer trigger the controller holds for one CDQ (see
/// `ControllerDataQueue` for the words), 8 bytes {HP le32, TPT le32}
/// (cdq-protocol.md §1).
public struct CDQFeatureData: Sendable, Hashable {
    public static let size = 8

    /// HP: head pointer, an entry index.
    public var head: UInt32
    /// TPT: tail pointer trigger, an entry index.
    public var tailPointerTrigger: UInt32

    /// TPT of a trigger that is not armed (never armed, disarmed by a head
    /// update with ETPT = 0, or fired): no queue has this index, since
    /// CDQSIZE counts dwords in 32 bits (protocol-choices.md).
    public static let triggerDisarmed: UInt32 = 0xFFFF_FFFF
    /// False when the controller reports the trigger disarmed.
    public var triggerArmed: Bool { tailPointerTrigger != Self.triggerDisarmed }

    public init(head: UInt32, tailPointerTrigger: UInt32) {
        self.head = head
        self.tailPointerTrigger = tailPointerTrigger
    }

    /// Decodes the first 8 bytes of `buffer`; `nil` if it is shorter.
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size, let base = buffer.baseAddress else { return nil }
        self.init(
            head: LittleEndian.load(UInt32.self, from: base, offset: 0),
            tailPointerTrigger: LittleEndian.load(UInt32.self, from: base, offset: 4)
        )
    }

    /// Writes the 8-byte image (any alignment), as a controller would.
    public func write(to destination: UnsafeMutableRawPointer) {
        LittleEndian.store(head, to: destination, offset: 0)
        LittleEndian.store(tailPointerTrigger, to: destination, offset: 4)
    }
}
