/// Losing the queue, and unregistering it.
extension QueueProtocol {
    /// The controller lost the queue: it is never read or sent a head
    /// update again. Returns true when a head update was in flight, which
    /// the caller abandons (cancels, where its ring holds it). A second
    /// loss changes nothing.
    @discardableResult
    package mutating func handleLoss(_ lost: QueueLoss) -> Bool {
        guard loss == nil else { return false }
        let abandoned = updateInFlight
        updateInFlight = false
        loss = lost
        polling = false
        entriesLeftAfterLoss = Int(entryCount)
        return abandoned
    }

    /// A lost queue was drained within `drainBudget` (`budget`) and gave
    /// `drained` entries: once a drain stops at an old phase (fewer than
    /// the budget, and not for a full consumer), nothing is left to read
    /// and the `.queueLost` record follows.
    package mutating func handleDrainedAfterLoss(drained: Int, budget: Int, consumerFull: Bool) {
        precondition(loss != nil && drained <= entriesLeftAfterLoss, "a lost queue is read at most one lap")
        if consumerFull { handleConsumerFull() }
        entriesLeftAfterLoss = consumerFull || drained == budget ? entriesLeftAfterLoss - drained : 0
    }

    /// The `.queueLost` record still to deliver, if any: once what the
    /// controller posted before the loss was read (`entriesLeftAfterLoss`).
    /// It is never dropped: with a full consumer ring it waits like entries.
    package var nextLossRecord: QueueLoss? {
        lossDelivered || entriesLeftAfterLoss > 0 ? nil : loss
    }

    /// The caller put the `.queueLost` record into the consumer's ring.
    package mutating func handleLossRecordDelivered() {
        lossDelivered = true
    }

    /// Unregistering was asked for: nothing new starts. Returns true when
    /// the queue can be released now (no head update in flight); otherwise
    /// its completion, or its timeout, ends it.
    package mutating func beginRemoval() -> Bool {
        removing = true
        return !updateInFlight
    }
}
