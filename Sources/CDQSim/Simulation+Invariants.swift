import CDQEngine
import CDQNVMe

/// The invariants, checked after every step (and, for what happens inside
/// a step, where it happens). The first one broken ends the run.
extension Simulation {
    /// Every logged change reaches the consumer exactly once and in order;
    /// an overflow yields its overflow record before any later entry; after
    /// a `.queueLost` record nothing more arrives.
    func deliver(_ record: CDQRecord, to queue: SimQueue) {
        delivered += 1
        queue.ringCount += 1
        guard !queue.lossSeen else { return fail("q\(queue.index): a \(record.kind) record after the queue-lost record") }
        if record.kind == .queueLost {
            queue.lossSeen = true
            return
        }
        queue.deliveredPosition = (queue.deliveredPosition + 1) % queue.entryCount
        let entry = record.entry
        let got = SimQueue.Expected(kind: record.kind, sequence: record.kind == .overflow || entry.isMarker ? 0 : entry.startingLBA,
                                    entryStatus: entry.entryStatus.rawValue, tailJump: record.problem == .tailJump)
        guard let owed = queue.nextOwed else {
            return fail("q\(queue.index): delivered \(got), which was never logged (duplicate?)")
        }
        guard got.matches(owed) else {
            if owed.kind == .overflow { return fail("q\(queue.index): overflow record missing: got \(got) where the ESA 7 entry was owed") }
            return fail("q\(queue.index): out of order or lost: got \(got), owed \(owed)")
        }
        queue.takeOwed()
    }

    /// The head sent never passes an entry the consumer has not received.
    func checkHeadSent(_ queue: SimQueue, _ head: UInt32) {
        guard queue.distance(to: head) <= queue.distance(to: queue.deliveredPosition) else {
            return fail("q\(queue.index): head \(head) sent past undelivered entries (delivered up to slot \(queue.deliveredPosition), controller head \(queue.producer.head))")
        }
    }

    /// At most one head update in flight per queue.
    func checkOneInFlight(_ queue: SimQueue) {
        let inFlight = admin.lazy.filter { $0.queue == queue.index }.count
        if inFlight > 1 { fail("q\(queue.index): \(inFlight) head updates in flight") }
    }

    /// Bounded state: the admin queue, the consumer rings, the ready list,
    /// events in flight.
    func checkInvariants() {
        if admin.count > parameters.adminDepth { fail("admin queue holds \(admin.count) > depth \(parameters.adminDepth)") }
        if ready.count > queues.count { fail("ready list holds \(ready.count) > \(queues.count) queues") }
        if events.count > 1_024 { fail("\(events.count) events in flight") }
        for queue in queues where queue.core.moderated && queue.registered { checkModeration(queue) }
        for queue in queues {
            if queue.ringCount > queue.ringCapacity { fail("q\(queue.index): consumer ring holds \(queue.ringCount) > \(queue.ringCapacity)") }
            if queue.owedCount > Int(queue.entryCount) { fail("q\(queue.index): \(queue.owedCount) owed > \(queue.entryCount) entries") }
        }
    }
}
