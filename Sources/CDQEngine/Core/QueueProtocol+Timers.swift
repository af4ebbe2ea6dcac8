/// The watchdog tick: the admin timeout, the liveness probe, retries that
/// waited, and queues no event scanned.
extension QueueProtocol {
    /// What a watchdog tick asks of the caller for this queue.
    package struct TickOutcome: Sendable, Equatable {
        /// The head update in flight timed out: the queue is lost (the
        /// caller cancels the update where it can, reports, delivers the record).
        package var lost: QueueLoss?
        /// Scan the queue (and send the head update that may be due).
        package var scan = false
        /// The scan is the watchdog's own (count it).
        package var watchdogScan = false
    }

    /// A watchdog tick at `now`.
    package mutating func handleTick(now: UInt64) -> TickOutcome {
        var outcome = TickOutcome()
        switch QueueDeadline.due(now: now, sentAt: sentAt, updateInFlight: updateInFlight, lost: loss != nil,
                                 adminTimeout: configuration.adminTimeoutNanoseconds,
                                 livenessProbe: configuration.livenessProbeNanoseconds) {
        case .adminTimedOut:
            handleLoss(.adminTimeout)
            outcome.lost = .adminTimeout
        case .probe where !removing:
            triggerArmed = false // a head update is due
            outcome.scan = true
        case .probe, nil:
            break
        }
        guard !removing else { return outcome }
        // A head update that waited for the watchdog is retried now, with a scan.
        if waitingForWatchdog { outcome.scan = true }
        waitingForWatchdog = false
        // A lost queue is scanned only to deliver its record.
        if now &- lastScan >= configuration.watchdogIntervalNanoseconds && (loss == nil || !lossDelivered) {
            outcome.scan = true
            outcome.watchdogScan = true
        }
        return outcome
    }
}
