import CDQEngine
import CDQNVMe
import Testing

/// The queue's protocol core on its own: events in, decisions out, no I/O.
@Suite struct QueueProtocolTests {
    func core(retries: Int = 1, polling: PollingPolicy? = nil) -> QueueProtocol {
        QueueProtocol(entryCount: 8, head: 0, phase: true,
                      configuration: EngineConfiguration(watchdogIntervalNanoseconds: 100, headUpdateRetries: retries, polling: polling))
    }

    @Test func aNewQueueArmsItsTriggerThenRescansWhenTheUpdateCompletes() {
        var queue = core()
        #expect(queue.nextHeadUpdate() == .send(.init(head: 0, trigger: 1)))
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 10)
        #expect(queue.nextHeadUpdate() == .none)
        let outcome = queue.handleHeadUpdateCompleted(.completed(.success))
        #expect(outcome == .rescan)
        #expect(queue.triggerArmed && !queue.updateInFlight)
    }

    @Test func aNewerHeadWaitsForTheUpdateInFlight() {
        var queue = core()
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 10)
        queue.readIndex = 3
        #expect(queue.nextHeadUpdate() == .coalesced)
        _ = queue.handleHeadUpdateCompleted(.completed(.success))
        #expect(queue.nextHeadUpdate() == .send(.init(head: 3, trigger: 4)))
    }

    @Test func aFailedUpdateIsRetriedThenWaitsForTheWatchdog() {
        var queue = core(retries: 1)
        queue.readIndex = 2
        queue.handleHeadUpdateSent(.init(head: 2, trigger: 3), now: 10)
        let failed = queue.handleHeadUpdateCompleted(.completed(.internalError))
        #expect(failed == .failed(.internalError))
        #expect(queue.sentHead == 0 && queue.nextHeadUpdate() == .send(.init(head: 2, trigger: 3)))
        queue.handleHeadUpdateSent(.init(head: 2, trigger: 3), now: 20)
        _ = queue.handleHeadUpdateCompleted(.systemError(-11))
        #expect(queue.nextHeadUpdate() == .none) // retries spent: the watchdog's turn
        let tick = queue.handleTick(now: 200)
        #expect(tick.scan && queue.nextHeadUpdate() == .send(.init(head: 2, trigger: 3)))
    }

    @Test func anUpdateThatNeverAnswersLosesTheQueueOnce() {
        var queue = core()
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 0)
        let timeout = EngineConfiguration().adminTimeoutNanoseconds
        let early = queue.handleTick(now: timeout - 1), due = queue.handleTick(now: timeout)
        #expect(early.lost == nil)
        #expect(due.lost == .adminTimeout)
        // What was posted before the loss is read first: the record waits for a drain that finds the end.
        let budget = queue.drainBudget
        #expect(budget > 0 && queue.nextLossRecord == nil)
        queue.handleDrainedAfterLoss(drained: 2, budget: budget, consumerFull: false)
        #expect(queue.nextLossRecord == .adminTimeout && queue.drainBudget == 0)
        let late = queue.handleHeadUpdateCompleted(.completed(.success))
        #expect(late == .ignored)
        queue.handleLossRecordDelivered()
        #expect(queue.nextLossRecord == nil && queue.nextHeadUpdate() == .none)
    }

    /// A LAST posted just before a DUDMQ delete, or changes before a reset,
    /// are real: a lost queue is read once more, up to one lap, before its
    /// `.queueLost` record; a full consumer makes the record wait, never
    /// the entries vanish.
    @Test func aLostQueueIsReadUpToOneLapBeforeItsLossRecord() {
        var queue = QueueProtocol(entryCount: 8, head: 0, phase: true, configuration: EngineConfiguration())
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 0)
        let lost = queue.handleHeadUpdateCompleted(.completed(.invalidControllerDataQueue))
        #expect(lost == .lost(.unknownToController, status: .invalidControllerDataQueue))
        #expect(queue.drainBudget == 8, "one lap at most")
        queue.handleDrainedAfterLoss(drained: 3, budget: 8, consumerFull: true)
        #expect(queue.stalled && queue.drainBudget == 0 && queue.nextLossRecord == nil)
        let resumed = queue.handleConsumerSpace()
        #expect(resumed && queue.drainBudget == 5)
        queue.handleDrainedAfterLoss(drained: 5, budget: 5, consumerFull: false)
        #expect(queue.drainBudget == 0, "a controller that keeps writing cannot hold the record back")
        #expect(queue.nextLossRecord == .unknownToController)
    }

    @Test func invalidControllerDataQueueAndENODEVAreLosses() {
        var queue = core()
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 0)
        let unknown = queue.handleHeadUpdateCompleted(.completed(.invalidControllerDataQueue))
        #expect(unknown == .lost(.unknownToController, status: .invalidControllerDataQueue))
        var other = core()
        other.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 0)
        let gone = other.handleHeadUpdateCompleted(.systemError(-19))
        #expect(gone == .lost(.deviceGone, status: nil))
    }

    @Test func aBusyQueueIsPolledWithoutATriggerAndReturnsToEvents() {
        var queue = core(polling: PollingPolicy(enterEntriesPerScan: 2, enterConsecutiveScans: 2, leaveEmptyScans: 2))
        let first = queue.handleScanned(drained: 2, consumerFull: false, now: 1)
        let second = queue.handleScanned(drained: 2, consumerFull: false, now: 2)
        #expect(first == .none && second == .entered)
        queue.readIndex = 4
        #expect(queue.nextHeadUpdate() == .send(.init(head: 4, trigger: nil)))
        let empty = queue.handleScanned(drained: 0, consumerFull: false, now: 3)
        let left = queue.handleScanned(drained: 0, consumerFull: false, now: 4)
        #expect(empty == .none && left == .left)
        #expect(queue.nextHeadUpdate() == .send(.init(head: 4, trigger: 5)))
    }

    @Test func aFullConsumerStallsTheQueueUntilItHasRoom() {
        var queue = core()
        _ = queue.handleScanned(drained: 1, consumerFull: true, now: 1)
        #expect(queue.drainBudget == 0)
        let resumed = queue.handleConsumerSpace(), again = queue.handleConsumerSpace()
        #expect(resumed && !again)
        #expect(queue.drainBudget > 0)
    }
}

extension QueueProtocolTests {
    /// A scan that copied its whole budget may have left entries behind:
    /// the queue is scanned again at the next turn, not after the next
    /// head update completes.
    @Test func aScanThatFilledItsBudgetScansAgain() {
        var queue = QueueProtocol(entryCount: 8, head: 0, phase: true,
                                  configuration: EngineConfiguration(drainBatch: 2, polling: nil))
        _ = queue.handleScanned(drained: 2, consumerFull: false, now: 1)
        #expect(queue.scanAgain(drained: 2))
        _ = queue.handleScanned(drained: 1, consumerFull: false, now: 2)
        #expect(!queue.scanAgain(drained: 1))
        _ = queue.handleScanned(drained: 2, consumerFull: true, now: 3)
        #expect(!queue.scanAgain(drained: 2)) // stalled: the consumer's space resumes it
    }
}
