/// Draining, polling and backpressure.
extension QueueProtocol {
    /// Most entries one scan may copy now: none while the queue is being
    /// removed or stalled on its consumer; for a lost queue, what is left
    /// of its last lap (`entriesLeftAfterLoss`).
    package var drainBudget: Int {
        guard !removing, !stalled else { return 0 }
        guard loss != nil else { return configuration.drainBatch }
        return min(configuration.drainBatch, entriesLeftAfterLoss)
    }

    /// `count` entries were copied from `readIndex` on (the caller
    /// advanced `readIndex` and `expectedPhase` by the copy).
    /// `consumerFull`: the copy stopped because the consumer's ring is
    /// full, so the queue stalls until `handleConsumerSpace`.
    /// Returns how polling changed, so the caller can keep its list of
    /// polled queues.
    package mutating func handleScanned(drained count: Int, consumerFull: Bool, now: UInt64) -> PollingChange {
        lastScan = now
        if consumerFull { handleConsumerFull() }
        let change = adaptPolling(drained: count)
        // A polled queue is scanned every turn; leaving polling makes it idle.
        if change == .entered { moderationActive = false }
        moderate(drained: count, now: now)
        return change
    }

    /// The consumer's ring is full: the queue stalls until `handleConsumerSpace`.
    package mutating func handleConsumerFull() {
        stalled = true
    }

    /// The consumer has room again: scan if the queue was stalled.
    package mutating func handleConsumerSpace() -> Bool {
        guard stalled else { return false }
        stalled = false
        return true
    }

    /// A queue that yields `enterEntriesPerScan` entries in
    /// `enterConsecutiveScans` scans in a row is polled; after
    /// `leaveEmptyScans` empty polls it goes back to events, and its next
    /// head update arms the trigger.
    mutating func adaptPolling(drained: Int) -> PollingChange {
        guard let policy = configuration.polling else { return .none }
        if polling {
            emptyPolls = drained == 0 ? emptyPolls + 1 : 0
            guard emptyPolls >= policy.leaveEmptyScans else { return .none }
            polling = false
            triggerArmed = false
            return .left
        }
        busyScans = drained >= policy.enterEntriesPerScan ? busyScans + 1 : 0
        guard busyScans >= policy.enterConsecutiveScans else { return .none }
        polling = true
        emptyPolls = 0
        return .entered
    }
}

/// How one scan changed a queue's mode.
package enum PollingChange: Sendable, Equatable {
    case none
    /// The queue is now polled every loop turn, without events.
    case entered
    /// The queue waits for events again.
    case left
}

extension QueueProtocol {
    /// After `handleScanned`: true when the scan stopped because it used
    /// its whole budget, not at an old phase, so entries may be waiting;
    /// the caller scans the queue again at its next turn (without it, they
    /// would wait for the next head update's completion or the watchdog).
    package func scanAgain(drained count: Int) -> Bool {
        let budget = drainBudget
        return budget > 0 && count >= budget
    }
}
