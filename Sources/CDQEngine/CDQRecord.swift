import CDQNVMe

/// What a consumer receives: one 32-byte CDQ entry exactly as the
/// controller wrote it, plus which queue it came from.
///
/// The entry is kept as raw bytes so the engine moves it with one copy and
/// an embedder can hand it on untouched; `entry` decodes it.
public struct CDQRecord: BitwiseCopyable, Sendable {
    /// The 32 bytes of the entry (little endian, as in queue memory).
    public var raw: (UInt64, UInt64, UInt64, UInt64)
    /// The engine's index of the queue (`QueueHandle.index`).
    public var queue: UInt32
    /// The controller's id of the queue.
    public var cdqid: UInt16
    public var kind: Kind

    /// What the record means to a consumer.
    public enum Kind: UInt16, Sendable, BitwiseCopyable {
        /// A change record or a FIRST/LAST marker, as logged.
        case entry = 0
        /// The queue overflowed (an ESA 7 entry): changes were lost, so every
        /// LBA of this queue's namespaces may have changed. Resynchronise.
        case overflow = 1
    }

    public init(raw: (UInt64, UInt64, UInt64, UInt64), queue: UInt32, cdqid: UInt16, kind: Kind) {
        self.raw = raw
        self.queue = queue
        self.cdqid = cdqid
        self.kind = kind
    }

    /// The decoded entry.
    public var entry: MigrationQueueEntry {
        withUnsafeBytes(of: raw) { MigrationQueueEntry(bytes: $0.baseAddress!) }
    }
}
