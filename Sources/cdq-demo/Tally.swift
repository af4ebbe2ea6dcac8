import Atomics
import CDQEngine
import CDQNVMe
import CDQUring

/// What the consumer thread saw, per queue: change entries, LAST markers,
/// overflow events. Written by the consumer thread, read by the main thread.
final class Tally: Sendable {
    let perQueue: [ManagedAtomic<Int>]
    let lasts = ManagedAtomic<Int>(0)
    let overflows = ManagedAtomic<Int>(0)
    let total = ManagedAtomic<Int>(0)
    private let stopping = ManagedAtomic<Bool>(false)

    init(queues: Int) {
        perQueue = (0..<queues).map { _ in ManagedAtomic(0) }
    }

    var changes: Int { total.load(ordering: .relaxed) }

    func consume(_ consumer: Consumer) {
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            consumer.wait(timeoutNanoseconds: 50_000_000)
            let popped = consumer.pop(into: buffer)
            for record in buffer.prefix(popped) { tally(record) }
        }
    }

    private func tally(_ record: CDQRecord) {
        if record.kind == .overflow {
            overflows.wrappingIncrement(ordering: .relaxed)
            return
        }
        switch record.entry.entryStatus {
        case .middle:
            perQueue[Int(record.queue)].wrappingIncrement(ordering: .relaxed)
            total.wrappingIncrement(ordering: .relaxed)
        case .lastLoggingStopped:
            lasts.wrappingIncrement(ordering: .relaxed)
        default:
            break
        }
    }

    func waitForLast(count: Int, timeoutNanoseconds: UInt64) {
        let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
        while lasts.load(ordering: .relaxed) < count && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
    }

    func stop() { stopping.store(true, ordering: .releasing) }
}
