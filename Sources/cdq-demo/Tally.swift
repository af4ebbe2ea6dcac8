import Atomics
import CDQEngine
import CDQNVMe
import CDQUring

/// What the consumer thread saw, per queue: change entries, LAST markers,
/// overflow events. The consumer thread counts in plain memory; the main
/// thread reads `perQueue` only after joining it, and the running totals
/// (atomics, updated once per batch) while it runs.
final class Tally: @unchecked Sendable {
    // @unchecked: `perQueue` is written by the consumer thread only and read
    // after OSThread.join(), which orders the two.
    private(set) var perQueue: [Int]
    let lasts = ManagedAtomic<Int>(0)
    let overflows = ManagedAtomic<Int>(0)
    let total = ManagedAtomic<Int>(0)
    private let stopping = ManagedAtomic<Bool>(false)

    init(queues: Int) {
        perQueue = Array(repeating: 0, count: queues)
    }

    var changes: Int { total.load(ordering: .relaxed) }

    func consume(_ consumer: Consumer) {
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            consumer.wait(timeoutNanoseconds: 50_000_000)
            let popped = consumer.pop(into: buffer)
            var changes = 0
            for record in buffer.prefix(popped) where tally(record) { changes += 1 }
            total.wrappingIncrement(by: changes, ordering: .relaxed)
        }
    }

    /// Counts one record; true for a change entry.
    private func tally(_ record: CDQRecord) -> Bool {
        if record.kind == .overflow {
            overflows.wrappingIncrement(ordering: .relaxed)
            return false
        }
        switch record.entry.entryStatus {
        case .middle:
            perQueue[Int(record.queue)] += 1
            return true
        case .lastLoggingStopped:
            lasts.wrappingIncrement(ordering: .relaxed)
        default:
            break
        }
        return false
    }

    func waitForLast(count: Int, timeoutNanoseconds: UInt64) {
        let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
        while lasts.load(ordering: .relaxed) < count && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
    }

    func stop() { stopping.store(true, ordering: .releasing) }
}
