import CDQEngine

/// The moderation bounds (`TriggerPolicy.moderated`), checked after every step.
extension Simulation {
    /// Longest a step moves the clock: how late a deadline turn can run.
    static let longestStep: UInt64 = 50_000

    /// The delivery budget: an active queue that can be read is scanned
    /// no later than one scan interval after its last deadline scan (the
    /// time of a step later at most).
    ///
    /// The head held back: a queue that is neither waiting for a head
    /// update's answer, nor scheduled, nor waiting for the watchdog after
    /// errors, nor stalled on a full consumer, keeps fewer than
    /// `returnThreshold` consumed entries from the controller while
    /// active, and none once idle; so the controller always has room for a
    /// burst of capacity - 1 - returnThreshold entries beyond those the
    /// engine has not yet seen.
    func checkModeration(_ queue: SimQueue) {
        let core = queue.core
        guard core.isActive, !core.polling else { return }
        // A stalled queue waits for its consumer (the budget assumes one
        // that keeps up); a scheduled one is scanned at the next turn.
        if core.moderationActive, !core.stalled, !queue.scheduled,
           now > core.lastDeadlineScan + core.scanInterval + Self.longestStep {
            return fail("q\(queue.index): deadline missed: last deadline scan at \(core.lastDeadlineScan / 1_000) us, "
                        + "interval \(core.scanInterval / 1_000) us, now \(now / 1_000) us")
        }
        guard !core.updateInFlight, !queue.scheduled, !core.waitingForWatchdog, !core.stalled else { return }
        let bound: UInt32 = core.moderationActive ? core.returnThreshold : 1
        if core.unreturned >= bound {
            fail("q\(queue.index): \(core.unreturned) consumed entries held back from the controller "
                 + "(\(core.moderationActive ? "active" : "idle"), bound \(bound - 1))")
        }
    }
}
