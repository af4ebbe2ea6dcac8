/// The one timer of moderation: queues whose deadline scan is pending, in
/// the order they were listed.
///
/// Every active queue is scanned again one `scanInterval` after its last
/// deadline scan, and the interval is the same for every queue, so listing
/// a queue right after its scan keeps the list in deadline order without a
/// heap: the front is always the next one due, and a turn's work is
/// proportional to the queues that are due. A queue is listed at most once
/// (`QueueSlot.deadlineListed`), so `maximumQueues` entries always suffice.
/// A listed deadline can only be early, never late (a scan between listing
/// and popping can only move the queue's deadline later): a popped entry
/// whose queue is not due yet is listed again.
package struct DeadlineList {
    package struct Entry: Equatable {
        package var index: Int
        package var generation: UInt16
        package var deadline: UInt64

        package init(index: Int, generation: UInt16, deadline: UInt64) {
            self.index = index
            self.generation = generation
            self.deadline = deadline
        }
    }

    private var entries: [Entry]
    private var start = 0
    package private(set) var count = 0

    package init(capacity: Int) {
        precondition(capacity > 0, "a deadline list holds at least one queue")
        entries = Array(repeating: Entry(index: 0, generation: 0, deadline: 0), count: capacity)
    }

    package var isEmpty: Bool { count == 0 }

    /// When the front entry is due; nil when the list is empty.
    package var nextDeadline: UInt64? { isEmpty ? nil : entries[start].deadline }

    package mutating func append(_ entry: Entry) {
        precondition(count < entries.count, "a queue is listed at most once")
        entries[(start + count) % entries.count] = entry
        count += 1
    }

    /// Removes and returns the front entry if it is due at `now`.
    package mutating func popDue(now: UInt64) -> Entry? {
        guard count > 0, entries[start].deadline <= now else { return nil }
        let entry = entries[start]
        start = (start + 1) % entries.count
        count -= 1
        return entry
    }
}
