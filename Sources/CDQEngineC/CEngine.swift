import CCDQEngine
import Atomics
import CDQEngine
import CDQKernel
import CDQQueues
import CDQUring

/// What a `cdq_engine` handle holds.
final class CEngine: Sendable {
    let engine: Engine
    /// Unique for the process's life (a simulator keys its per-engine head
    /// update channel by it; an address could be reused by a later engine).
    let id: UInt64
    /// Queues attached through this engine and not yet detached.
    let attached = ManagedAtomic<Int>(0)
    /// One backend per controller device (path), made at its first attach:
    /// the engine keeps every transport it was given, so one per device.
    let devices = Locked<[String: KernelQueueBackend]>([:])

    private static let nextID = ManagedAtomic<UInt64>(1)

    init(_ engine: Engine) {
        self.engine = engine
        id = Self.nextID.loadThenWrappingIncrement(ordering: .relaxed)
    }
}

/// What a `cdq_consumer` handle holds.
final class CConsumer: @unchecked Sendable {
    // @unchecked: `peeked` belongs to the consumer thread (docs/c-api.md).
    let consumer: Consumer
    /// Records handed out by the open peek: release may not return more.
    var peeked = 0
    /// Queues delivering into this consumer now.
    let attached = ManagedAtomic<Int>(0)

    init(_ consumer: Consumer) { self.consumer = consumer }
}

/// The records the engine writes are handed to C in place, so `CDQRecord`
/// and the header's `cdq_record` must be the same bytes. Checked once, at
/// the first consumer, rather than trusted.
enum RecordLayout {
    static let matches: Bool = {
        guard MemoryLayout<CDQRecord>.size <= MemoryLayout<cdq_record>.size,
              MemoryLayout<CDQRecord>.stride == MemoryLayout<cdq_record>.stride,
              MemoryLayout<CDQRecord>.offset(of: \.queue) == MemoryLayout<cdq_record>.offset(of: \.queue),
              MemoryLayout<CDQRecord>.offset(of: \.cdqid) == MemoryLayout<cdq_record>.offset(of: \.cdqid),
              MemoryLayout<CDQRecord>.offset(of: \.kind) == MemoryLayout<cdq_record>.offset(of: \.kind),
              MemoryLayout<CDQRecord>.offset(of: \.detail) == MemoryLayout<cdq_record>.offset(of: \.kind)! + 1
        else { return false }
        return kindByte(.entry) == UInt8(CDQ_RECORD_ENTRY) && kindByte(.overflow) == UInt8(CDQ_RECORD_OVERFLOW)
            && kindByte(.problem) == UInt8(CDQ_RECORD_PROBLEM) && kindByte(.queueLost) == UInt8(CDQ_RECORD_QUEUE_LOST)
            && RecordProblem.tailJump.rawValue == UInt8(CDQ_PROBLEM_TAIL_JUMP)
            && RecordProblem.reservedEntryStatus.rawValue == UInt8(CDQ_PROBLEM_RESERVED_ESA)
            && QueueLoss.adminTimeout.rawValue == UInt8(CDQ_LOSS_ADMIN_TIMEOUT)
    }()

    /// The byte C reads as `kind` for a record of this kind.
    private static func kindByte(_ kind: CDQRecord.Kind) -> UInt8 {
        let record = CDQRecord(raw: (0, 0, 0, 0), queue: 0, cdqid: 0, kind: kind)
        return withUnsafeBytes(of: record) { $0[MemoryLayout<cdq_record>.offset(of: \.kind)!] }
    }
}
