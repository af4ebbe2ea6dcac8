/// The one timer of moderation: the active moderated queues, and the tick
/// at which they are due.
///
/// Every active queue's deadline falls on the same grid (multiples of the
/// scan interval, `QueueProtocol.scanDeadline`), so one tick serves them
/// all: no heap, and a tick's work is one pass over the active queues (a
/// queue that went idle, was lost or removed leaves the list during that
/// pass). A queue is listed at most once (the shell keeps a flag per
/// queue), so `capacity` entries always suffice and the storage is
/// allocated once.
package struct DeadlineList {
    package struct Entry: Equatable {
        package var index: Int
        package var generation: UInt16

        package init(index: Int, generation: UInt16) {
            self.index = index
            self.generation = generation
        }
    }

    private var entries: [Entry]
    private let capacity: Int
    /// When the next tick is due; nil when no queue is listed.
    package private(set) var nextTick: UInt64?

    package init(capacity: Int) {
        precondition(capacity > 0, "a deadline list holds at least one queue")
        self.capacity = capacity
        entries = []
        entries.reserveCapacity(capacity)
    }

    package var count: Int { entries.count }
    package var isEmpty: Bool { entries.isEmpty }

    /// Lists a queue whose deadline is `deadline`.
    package mutating func list(_ entry: Entry, deadline: UInt64) {
        precondition(entries.count < capacity, "a queue is listed at most once")
        entries.append(entry)
        nextTick = min(nextTick ?? deadline, deadline)
    }

    /// At a due tick (`now` at or past `nextTick`), hands every listed
    /// entry to `visit`, which answers whether the queue stays listed, and
    /// sets the next tick to `next` (nil once nothing stays). Returns false
    /// when no tick was due.
    @discardableResult
    package mutating func tick(now: UInt64, next: UInt64, _ visit: (Entry) -> Bool) -> Bool {
        guard let due = nextTick, now >= due else { return false }
        var kept = 0
        for position in entries.indices where visit(entries[position]) {
            entries[kept] = entries[position]
            kept += 1
        }
        entries.removeLast(entries.count - kept)
        nextTick = kept > 0 ? next : nil
        return true
    }
}
