import CDQNVMe

/// What a consumer receives: one 32-byte CDQ entry exactly as the
/// controller wrote it, plus which queue it came from and what the engine
/// made of it.
///
/// The entry is kept as raw bytes so the engine moves it with one copy and
/// an embedder can hand it on untouched; `entry` decodes it. 40 bytes, the
/// layout of the C API's `cdq_record`.
public struct CDQRecord: BitwiseCopyable, Sendable {
    /// The 32 bytes of the entry (little endian, as in queue memory).
    public var raw: (UInt64, UInt64, UInt64, UInt64)
    /// The engine's index of the queue (`QueueHandle.index`).
    public var queue: UInt32
    /// The controller's id of the queue.
    public var cdqid: UInt16
    public var kind: Kind
    /// For `.problem`, a `RecordProblem`; for `.queueLost`, a `QueueLoss`;
    /// otherwise 0.
    public var detail: UInt8

    /// What the record means to a consumer. The values are the C API's
    /// `CDQ_RECORD_*`: add, never renumber.
    public enum Kind: UInt8, Sendable, BitwiseCopyable {
        /// A change record or a FIRST/LAST marker, as logged.
        case entry = 0
        /// The queue overflowed (an ESA 7 entry): changes were lost, so every
        /// LBA of this queue's namespaces may have changed. Resynchronise.
        case overflow = 1
        /// An entry the engine found wrong (`problem` says how): it cannot
        /// be applied exactly, so every LBA of this queue's namespaces may
        /// have changed. Resynchronise.
        case problem = 2
        /// The queue is gone (`loss` says why): the engine no longer reads
        /// it and nothing more will be logged through it. `raw` is zero.
        case queueLost = 3
    }

    public init(raw: (UInt64, UInt64, UInt64, UInt64), queue: UInt32, cdqid: UInt16, kind: Kind, detail: UInt8 = 0) {
        self.raw = raw
        self.queue = queue
        self.cdqid = cdqid
        self.kind = kind
        self.detail = detail
    }

    /// The decoded entry.
    public var entry: MigrationQueueEntry {
        withUnsafeBytes(of: raw) { MigrationQueueEntry(bytes: $0.baseAddress!) }
    }

    /// What is wrong with the entry of a `.problem` record.
    public var problem: RecordProblem? {
        kind == .problem ? RecordProblem(rawValue: detail) : nil
    }

    /// Why the queue of a `.queueLost` record was lost.
    public var loss: QueueLoss? {
        kind == .queueLost ? QueueLoss(rawValue: detail) : nil
    }
}

extension CDQRecord {
    /// The bytes of a record after its entry (queue, CDQID, kind and
    /// detail) as one word, so that a loop writing many records of one
    /// queue and kind stores each as the entry's words and this one: a
    /// third fewer stores than field by field, which the compiler does not
    /// merge on its own (`PhaseTagDrain.copyUsual`, docs/engine.md).
    struct Tail {
        /// Bytes 32-39 of the record, exactly as a stored record holds them.
        let word: UInt64

        init(queue: UInt32, cdqid: UInt16, kind: Kind, detail: UInt8 = 0) {
            let record = CDQRecord(raw: (0, 0, 0, 0), queue: queue, cdqid: cdqid, kind: kind, detail: detail)
            word = withUnsafeBytes(of: record) { $0.load(fromByteOffset: Self.offset, as: UInt64.self) }
        }

        /// Writes the record of `raw` and these fields at `destination`:
        /// the same 40 bytes as storing `CDQRecord(raw:queue:cdqid:kind:detail:)`.
        @inline(__always)
        func store(_ raw: (UInt64, UInt64, UInt64, UInt64), at destination: UnsafeMutablePointer<CDQRecord>) {
            let bytes = UnsafeMutableRawPointer(destination)
            bytes.storeBytes(of: raw, as: (UInt64, UInt64, UInt64, UInt64).self)
            bytes.storeBytes(of: word, toByteOffset: Self.offset, as: UInt64.self)
        }

        /// Where the fields start: right after the entry's 32 bytes, and
        /// they fill the record's last 8, as in the C API's `cdq_record`
        /// (`CDQRecordTests` checks both).
        @inline(__always)
        static var offset: Int { MemoryLayout<CDQRecord>.offset(of: \.queue)! }
    }
}
