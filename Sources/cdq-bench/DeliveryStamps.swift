import Atomics
import CDQUring
import Histogram

/// When each change was written, so the consuming thread can book its
/// delivery delay (write to consumer) for every entry, whatever the scenario's load.
///
/// The writer stamps change `n` of queue `q` into slot `n mod slots` of
/// that queue, tagged with `n`'s low 24 bits; the consumer books `now -
/// stamp` if the tag still matches (a slot the writer has reused since is
/// skipped, so late entries are never credited a newer write's time).
/// One 64-bit atomic per slot: tag in the top 24 bits, nanoseconds since
/// the run's start in the low 40 (18 minutes).
final class DeliveryStamps: @unchecked Sendable {
    // @unchecked: the slots are atomics; the rest is immutable.
    private let slots: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let slotsPerQueue: Int
    private let count: Int
    private let origin = MonotonicClock.nanoseconds()
    private static let timeBits: UInt64 = 40
    private static let timeMask: UInt64 = (1 << timeBits) - 1
    private static let tagMask: UInt64 = (1 << 24) - 1

    /// Twice a queue's entries per queue (at least 512), so a slot is
    /// reused only after a queue's worth of newer changes.
    init(queues: Int, entries: UInt32) {
        slotsPerQueue = max(512, 2 * Int(entries))
        count = queues * slotsPerQueue
        slots = .allocate(capacity: count)
        slots.initialize(repeating: .init(0), count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    private func slot(_ queue: Int, _ number: UInt64) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: slots + queue * slotsPerQueue + Int(number % UInt64(slotsPerQueue)))
    }

    /// The writer, just before it writes change `number` of `queue`.
    @inline(__always)
    func stamp(queue: Int, number: UInt64) {
        let elapsed = (MonotonicClock.nanoseconds() &- origin) & Self.timeMask
        slot(queue, number).store((number & Self.tagMask) << Self.timeBits | elapsed, ordering: .relaxed)
    }

    /// The consumer, on booking change `number` of `queue`: its delay in
    /// nanoseconds, or nil when the slot holds a newer change's stamp.
    @inline(__always)
    func delay(queue: Int, number: UInt64) -> UInt64? {
        let stamp = slot(queue, number).load(ordering: .relaxed)
        guard stamp >> Self.timeBits == number & Self.tagMask else { return nil }
        let now = (MonotonicClock.nanoseconds() &- origin) & Self.timeMask
        return (now &- (stamp & Self.timeMask)) & Self.timeMask
    }
}
