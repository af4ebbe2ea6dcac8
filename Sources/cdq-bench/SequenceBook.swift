import Atomics
import CDQNVMe
import CDQUring
import Histogram

/// The books of one consuming thread: every change a writer logged must
/// arrive exactly once and in order.
///
/// Writers number each queue's changes 0, 1, 2, ... in the starting LBA,
/// so the consumer knows which change it expects next on every queue: a
/// smaller number is a duplicate, a larger one means changes were lost (or
/// reordered, which shows up as both). What never arrived is counted at the
/// end against what the writers say they wrote.
///
/// Written by its consuming thread only; the counters that other threads
/// watch while it runs are atomics, the rest is read after joining it.
final class SequenceBook: @unchecked Sendable {
    // @unchecked: plain fields are owned by the consuming thread until join.
    private(set) var expected: [UInt64]
    private(set) var delivered: UInt64 = 0
    private(set) var lost: UInt64 = 0
    private(set) var duplicated: UInt64 = 0
    private(set) var overflows: UInt64 = 0
    /// LAST (logging stopped) entries seen: the end of a queue's run.
    let lasts = ManagedAtomic<Int>(0)
    /// Changes delivered so far, published per batch for the latency writer.
    let progress = ManagedAtomic<UInt64>(0)
    /// When set, each change's delay since the writer's send time is recorded.
    let probe: LatencyProbe?
    /// When set, each change's delay since the writer stamped it goes to `delivery`.
    private let stamps: DeliveryStamps?
    /// The writer's index of each of the book's queues (the stamps' numbering).
    private let writerQueues: [Int]
    /// Write to consumer, nanoseconds, for every entry whose stamp survived.
    private(set) var delivery = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)

    /// `writerQueues[i]` is the writer's index of the book's queue `i` (default: the same).
    init(queues: Int, probe: LatencyProbe? = nil, stamps: DeliveryStamps? = nil, writerQueues: [Int]? = nil) {
        expected = Array(repeating: 0, count: queues)
        self.probe = probe
        self.stamps = stamps
        self.writerQueues = writerQueues ?? Array(0..<queues)
    }

    /// Books one entry of queue `queue` (the book's own numbering).
    @inline(__always)
    func record(queue: Int, _ entry: MigrationQueueEntry) {
        switch entry.entryStatus {
        case .middle:
            let number = entry.startingLBA
            if number == expected[queue] {
                expected[queue] += 1
                delivered += 1
            } else if number < expected[queue] {
                duplicated += 1
            } else {
                lost += number - expected[queue]
                expected[queue] = number + 1
                delivered += 1
            }
            if let probe { probe.received(delivered) }
            if let stamps, let delay = stamps.delay(queue: writerQueues[queue], number: number) {
                _ = delivery.record(delay)
            }
        case .lastLoggingStopped:
            lasts.wrappingIncrement(ordering: .relaxed)
        case .lastQueueFull:
            overflows += 1
        default:
            break
        }
    }

    /// Publishes the running count; once per batch, not per entry.
    func publish() { progress.store(delivered, ordering: .releasing) }

    /// Closes the books against what the writers wrote to each queue.
    func settle(written: [UInt64]) -> (lost: UInt64, duplicated: UInt64) {
        var lost = self.lost, duplicated = self.duplicated
        for (queue, count) in written.enumerated() {
            if count > expected[queue] { lost += count - expected[queue] }
            if count < expected[queue] { duplicated += expected[queue] - count }
        }
        return (lost, duplicated)
    }
}

/// One change at a time: the writer notes when it sent it, the consumer
/// records how long it took to arrive and says it has.
final class LatencyProbe: @unchecked Sendable {
    // @unchecked: `histogram` belongs to the one consuming thread until join.
    let sentAt = ManagedAtomic<UInt64>(0)
    let seen = ManagedAtomic<UInt64>(0)
    var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)

    @inline(__always)
    func received(_ count: UInt64) {
        let now = MonotonicClock.nanoseconds()
        _ = histogram.record(now &- sentAt.load(ordering: .acquiring))
        seen.store(count, ordering: .releasing)
    }
}
