import CDQNVMe

/// Head updates: one in flight, newer heads coalesced, arm then rescan,
/// retries after errors.
extension QueueProtocol {
    /// A head update to send: the head, and the tail pointer trigger to arm
    /// (nil: the queue is polled, so no trigger).
    package struct HeadUpdate: Sendable, Equatable {
        package var head: UInt32
        package var trigger: UInt32?

        package init(head: UInt32, trigger: UInt32?) {
            self.head = head
            self.trigger = trigger
        }
    }

    /// What the caller should do about the head now.
    package enum HeadUpdateDecision: Sendable, Equatable {
        /// Nothing is due.
        case none
        /// One is due, but one is in flight: it goes out after that one
        /// completes (coalescing; count it).
        case coalesced
        /// Submit this, then call `handleHeadUpdateSent`.
        case send(HeadUpdate)
    }

    /// A head update is due: entries were consumed since the last one, or
    /// the trigger must be (re-)armed because the queue waits for events.
    /// Moderated queues follow `moderatedHeadUpdateDue` instead.
    package var needsHeadUpdate: Bool {
        guard isActive && !waitingForWatchdog else { return false }
        if moderated && !polling { return moderatedHeadUpdateDue }
        return readIndex != sentHead || (!polling && !triggerArmed)
    }

    /// Whether to send a head update now, and which.
    package func nextHeadUpdate() -> HeadUpdateDecision {
        guard needsHeadUpdate else { return .none }
        if updateInFlight && plantedBug != .secondHeadUpdateInFlight { return .coalesced }
        var head = readIndex
        if plantedBug == .headBeforeDelivery { head = (head + 1) % entryCount }
        let trigger = polling ? nil
            : moderated ? moderatedTrigger(head: head) : configuration.trigger.index(head: head, entries: entryCount)
        return .send(HeadUpdate(head: head, trigger: trigger))
    }

    /// The caller submitted `update` at `now`.
    package mutating func handleHeadUpdateSent(_ update: HeadUpdate, now: UInt64) {
        updateInFlight = true
        sentAt = now
        sentHead = update.head
        triggerArmed = update.trigger != nil
    }

    /// How a head update ended, as the caller saw it.
    package enum HeadUpdateResult: Sendable, Equatable {
        /// The controller completed it with this status.
        case completed(NVMeStatus)
        /// The kernel failed it with this negated errno.
        case systemError(Int32)
    }

    /// What the caller should do after a head update ended.
    package enum HeadUpdateOutcome: Sendable, Equatable {
        /// A late answer for a lost queue: nothing.
        case ignored
        /// Acknowledged; scan once more (arm, then rescan, §4), unless removing.
        case rescan
        /// Acknowledged, and no rescan (only under a planted bug).
        case done
        /// Failed with a status to report; scan once more (the retry goes
        /// out with that scan, or after the next watchdog tick).
        case failed(NVMeStatus)
        /// The queue is lost: report, deliver the loss record. `status` is
        /// the completion's, when the controller answered.
        case lost(QueueLoss, status: NVMeStatus?)
    }

    /// The head update in flight ended with `result`.
    package mutating func handleHeadUpdateCompleted(_ result: HeadUpdateResult) -> HeadUpdateOutcome {
        // A late answer for a lost queue (its update was abandoned) changes nothing.
        guard loss == nil else { return .ignored }
        updateInFlight = false
        let status: NVMeStatus
        switch result {
        case .systemError(let errno):
            if let loss = QueueLoss.of(negatedErrno: errno) {
                handleLoss(loss)
                return .lost(loss, status: nil)
            }
            status = .internalError
        case .completed(let completed):
            status = completed
        }
        if let loss = QueueLoss.of(status: status) {
            handleLoss(loss)
            return .lost(loss, status: status)
        }
        guard status.isSuccess else {
            sentHead = acknowledgedHead
            triggerArmed = false
            if retries < configuration.headUpdateRetries && !status.doNotRetry {
                retries += 1
            } else {
                retries = 0
                waitingForWatchdog = true
            }
            return .failed(status)
        }
        acknowledgedHead = sentHead
        retries = 0
        return plantedBug == .noRescanAfterArming ? .done : .rescan
    }
}
