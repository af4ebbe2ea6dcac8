import CDQEngine
import CDQNVMe
import Testing

/// The moderation rules of the core on their own (`TriggerPolicy.moderated`):
/// deadlines, trigger placement, and head updates only when they buy something.
@Suite struct QueueModerationTests {
    static let budget: UInt64 = 1_000_000

    func core(entries: UInt32 = 128) -> QueueProtocol {
        var configuration = EngineConfiguration(polling: nil)
        configuration.deliveryBudgetNanoseconds = Self.budget
        return QueueProtocol(entryCount: entries, head: 0, phase: true, configuration: configuration)
    }

    /// Arms the next-entry trigger of a new queue and completes the update.
    func armed(entries: UInt32 = 128) -> QueueProtocol {
        var queue = core(entries: entries)
        #expect(queue.nextHeadUpdate() == .send(.init(head: 0, trigger: 1)))
        queue.handleHeadUpdateSent(.init(head: 0, trigger: 1), now: 0)
        #expect(queue.handleHeadUpdateCompleted(.completed(.success)) == .rescan)
        return queue
    }

    /// Consumes `count` entries in one scan at `now` (as the shell does:
    /// advance the read index, then tell the core).
    func scan(_ queue: inout QueueProtocol, _ count: UInt32, at now: UInt64) {
        queue.readIndex = (queue.readIndex + count) % 128
        _ = queue.handleScanned(drained: Int(count), consumerFull: false, now: now)
    }

    @Test func anIdleQueueHasNoDeadlineAndWakesOnTheNextEntry() {
        let queue = armed()
        #expect(queue.scanDeadline == nil)
        #expect(!queue.moderationActive && queue.triggerArmed)
        #expect(queue.nextHeadUpdate() == .none)
    }

    @Test func theFirstEntriesMakeTheQueueActiveWithADeadlineWithinTheBudget() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 5_000)
        #expect(queue.moderationActive)
        let deadline = try! #require(queue.scanDeadline)
        #expect(deadline > 5_000 && deadline <= 5_000 + Self.budget)
        // The trigger fired: one head update re-arms it far ahead, not on the next entry.
        guard case .send(let update) = queue.nextHeadUpdate() else { Issue.record("no head update to re-arm"); return }
        #expect(update.head == 1)
        #expect(update.trigger == UInt32(64), "half the queue (63 slots) ahead of head 1")
    }

    @Test func anActiveQueueSendsNoHeadUpdateUntilAQuarterIsConsumed() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 1_000)
        guard case .send(let rearm) = queue.nextHeadUpdate() else { Issue.record("no re-arm"); return }
        queue.handleHeadUpdateSent(rearm, now: 1_000)
        _ = queue.handleHeadUpdateCompleted(.completed(.success))
        var now: UInt64 = 1_000
        var consumed: UInt32 = 0
        while consumed + 1 < queue.returnThreshold {
            now += queue.scanInterval
            scan(&queue, 1, at: now)
            consumed += 1
            #expect(queue.nextHeadUpdate() == .none, "\(consumed) consumed: nothing to buy yet")
        }
        now += queue.scanInterval
        scan(&queue, 1, at: now)
        #expect(queue.nextHeadUpdate() == .send(.init(head: queue.readIndex, trigger: (queue.readIndex + 63) % 128)))
    }

    @Test func deadlineScansFollowEachOtherOneIntervalApart() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 0)
        let first = try! #require(queue.scanDeadline)
        // An event scan before the deadline does not move it.
        scan(&queue, 2, at: first / 2)
        #expect(queue.scanDeadline == first)
        scan(&queue, 0, at: first)
        #expect(queue.scanDeadline == first + queue.scanInterval)
    }

    @Test func aLateDeadlineScanMovesTheDeadlineToTheGridPointAfterIt() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 0)
        let first = try! #require(queue.scanDeadline)
        let interval = queue.scanInterval
        // Three and a half intervals late (a stalled loop): not the missed
        // grid points, the one after now.
        let late = first + 3 * interval + interval / 2
        scan(&queue, 1, at: late)
        #expect(queue.scanDeadline == first + 4 * interval)
        // Exactly on a grid point: the next one.
        scan(&queue, 1, at: first + 4 * interval)
        #expect(queue.scanDeadline == first + 5 * interval)
    }

    @Test func unreturnedEntriesAreCountedAcrossTheWrap() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 100, at: 0)
        // Hand back 100 entries, then consume 60 more: 28 before the wrap, 32 after.
        queue.handleHeadUpdateSent(.init(head: 100, trigger: 50), now: 1)
        _ = queue.handleHeadUpdateCompleted(.completed(.success))
        #expect(queue.unreturned == 0)
        scan(&queue, 60, at: 2)
        #expect(queue.readIndex == 32)
        #expect(queue.unreturned == 60)
    }

    @Test func aQuietQueueGoesIdleAndHandsEverythingBackWithTheNextEntryTrigger() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 3, at: 0)
        guard case .send(let rearm) = queue.nextHeadUpdate() else { Issue.record("no re-arm"); return }
        queue.handleHeadUpdateSent(rearm, now: 0)
        _ = queue.handleHeadUpdateCompleted(.completed(.success))
        scan(&queue, 2, at: 10) // consumed, below the threshold: held back
        #expect(queue.nextHeadUpdate() == .none)
        var now: UInt64 = 0
        // The first deadline scan counts the two entries; then the quiet ones.
        for _ in 0...QueueProtocol.quietDeadlineScans {
            #expect(queue.moderationActive)
            now += queue.scanInterval
            scan(&queue, 0, at: now)
        }
        #expect(!queue.moderationActive && queue.scanDeadline == nil)
        #expect(queue.nextHeadUpdate() == .send(.init(head: 5, trigger: 6)))
    }

    /// Sends and completes the head update due, if any; its trigger.
    func completeHeadUpdate(_ queue: inout QueueProtocol, at now: UInt64) -> UInt32? {
        guard case .send(let update) = queue.nextHeadUpdate() else { return nil }
        queue.handleHeadUpdateSent(update, now: now)
        _ = queue.handleHeadUpdateCompleted(.completed(.success))
        return update.trigger
    }

    /// Changes further apart than a queue stays active (its quiet deadline
    /// scans): after the first, each leaves the queue idle, with one head
    /// update that hands it back and arms the next-entry trigger, instead
    /// of a re-arm far ahead, quiet scans, and a second head update. Closer
    /// changes make it active again.
    @Test func aSparseQueueStaysIdleWithOneHeadUpdatePerChange() {
        var queue = armed()
        var now: UInt64 = 1_000
        // The first change: nothing is known of the queue, so it goes active.
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: now)
        #expect(queue.moderationActive)
        #expect(completeHeadUpdate(&queue, at: now) == 64, "the safety trigger, 63 slots ahead of head 1")
        while queue.moderationActive {
            now += queue.scanInterval
            scan(&queue, 0, at: now)
        }
        #expect(completeHeadUpdate(&queue, at: now) == 2, "idle again: everything back, the next entry armed")
        // Sparse changes: each a single head update, the queue idle throughout.
        for change in 2...4 {
            now += queue.quietSpan + 1
            queue.handleTailPointerEvent()
            scan(&queue, 1, at: now)
            #expect(!queue.moderationActive && queue.scanDeadline == nil, "change \(change)")
            #expect(completeHeadUpdate(&queue, at: now) == UInt32(change + 1), "change \(change): back, next entry armed")
            scan(&queue, 0, at: now) // the rescan after arming
            #expect(queue.nextHeadUpdate() == .none, "change \(change): one head update")
        }
        // A change soon after the last one: active again.
        now += queue.scanInterval
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: now)
        #expect(queue.moderationActive)
    }

    /// A busy queue's trigger moves closer, so its event still leaves room
    /// for what arrives while the engine reacts; never past the free space.
    @Test func theSafetyTriggerMovesCloserAsTheRateRises() {
        var queue = armed(entries: 128)
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 0)
        var now: UInt64 = 0
        var distances: [UInt32] = []
        for perInterval: UInt32 in [4, 16, 40, 60] {
            for _ in 0..<8 {
                now += queue.scanInterval
                scan(&queue, perInterval, at: now)
            }
            queue.handleTailPointerEvent()
            guard case .send(let update) = queue.nextHeadUpdate(), let trigger = update.trigger else {
                Issue.record("no head update at \(perInterval) per interval"); return
            }
            let distance = (trigger + 128 - update.head) % 128
            #expect(distance >= 1 && distance + 2 * min(queue.entriesPerInterval, 127) <= 127 || distance == 1,
                    "trigger \(distance) ahead at \(queue.entriesPerInterval) entries per interval")
            distances.append(distance)
            queue.handleHeadUpdateSent(update, now: now)
            _ = queue.handleHeadUpdateCompleted(.completed(.success))
        }
        #expect(distances == distances.sorted(by: >), "closer as the rate rises: \(distances)")
        #expect(distances.first == 63 && distances.last! < 63)
    }

    @Test func aPolledQueueHasNoDeadlineAndLeavesPollingIdle() {
        var configuration = EngineConfiguration(polling: PollingPolicy(enterEntriesPerScan: 2, enterConsecutiveScans: 2, leaveEmptyScans: 2))
        configuration.deliveryBudgetNanoseconds = Self.budget
        var queue = QueueProtocol(entryCount: 128, head: 0, phase: true, configuration: configuration)
        queue.handleTailPointerEvent()
        scan(&queue, 4, at: 1)
        scan(&queue, 4, at: 2)
        #expect(queue.polling && queue.scanDeadline == nil)
        scan(&queue, 0, at: 3)
        scan(&queue, 0, at: 4)
        #expect(!queue.polling && !queue.moderationActive)
        #expect(queue.nextHeadUpdate() == .send(.init(head: 8, trigger: 9)))
    }

    @Test func aLostQueueHasNoDeadline() {
        var queue = armed()
        queue.handleTailPointerEvent()
        scan(&queue, 1, at: 0)
        queue.handleLoss(.unknownToController)
        #expect(queue.scanDeadline == nil && queue.nextHeadUpdate() == .none)
    }

    /// One tick serves every listed queue: none before it is due, each
    /// listed queue visited once at it, and a queue that is no longer
    /// active leaves the list there.
    @Test func theDeadlineListTicksForEveryListedQueueAtOnce() {
        var list = DeadlineList(capacity: 4)
        #expect(list.nextTick == nil)
        list.list(.init(index: 0, generation: 1), deadline: 30)
        list.list(.init(index: 2, generation: 1), deadline: 20)
        list.list(.init(index: 1, generation: 1), deadline: 30)
        #expect(list.nextTick == 20)
        var visited: [Int] = []
        #expect(!list.tick(now: 19, next: 40) { visited.append($0.index); return true })
        #expect(visited.isEmpty)
        #expect(list.tick(now: 20, next: 40) { visited.append($0.index); return $0.index != 2 })
        #expect(visited == [0, 2, 1] && list.count == 2 && list.nextTick == 40)
        #expect(list.tick(now: 45, next: 60) { _ in false })
        #expect(list.isEmpty && list.nextTick == nil)
    }

    /// Every queue's deadline falls on the same grid, at most one interval
    /// after its last deadline scan: one tick serves them all.
    @Test func deadlinesOfAllQueuesFallOnOneGrid() {
        let interval = QueueProtocol.scanInterval(budget: Self.budget)
        for now: UInt64 in [0, 1, interval - 1, interval, 5 * interval + 7, 1 << 40] {
            let deadline = QueueProtocol.deadline(after: now, budget: Self.budget)
            #expect(deadline > now && deadline - now <= interval && deadline % interval == 0)
        }
    }
}
