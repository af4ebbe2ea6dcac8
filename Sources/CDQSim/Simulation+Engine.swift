import CDQEngine
import CDQNVMe

/// The engine's shell in the simulation: what `EngineLoop` does with the
/// core, with the ring, the eventfds and the clock replaced by the model.
extension Simulation {
    func schedule(_ index: Int) {
        let queue = queues[index]
        guard queue.registered, !queue.scheduled, !queue.core.stalled else { return }
        queue.scheduled = true
        ready.append(index)
    }

    func readiness(_ index: Int) {
        record(.readiness(queue: index))
        queues[index].core.handleTailPointerEvent()
        schedule(index)
    }

    /// As `EngineLoop.scheduleDueDeadlines`, then a turn.
    func deadlineTurn() {
        while let entry = deadlines.popDue(now: now) {
            let queue = queues[entry.index]
            queue.deadlineListed = false
            guard queue.registered, let deadline = queue.core.scanDeadline else { continue }
            guard deadline <= now else { listDeadline(queue); continue }
            record(.deadline(queue: queue.index))
            schedule(queue.index)
        }
        engineTurn()
    }

    func listDeadline(_ queue: SimQueue) {
        guard !queue.deadlineListed, let deadline = queue.core.scanDeadline else { return }
        queue.deadlineListed = true
        deadlines.append(.init(index: queue.index, generation: 0, deadline: deadline))
    }

    /// One loop turn: polled queues are scheduled, then every ready queue is scanned.
    func engineTurn() {
        for queue in queues where queue.polling { schedule(queue.index) }
        let scanning = ready
        ready.removeAll(keepingCapacity: true)
        for index in scanning {
            let queue = queues[index]
            queue.scheduled = false
            guard queue.registered, queue.removalAskedAt == nil else { continue }
            if queue.core.loss != nil { deliverLoss(queue); continue }
            scan(queue)
        }
    }

    /// Drains by phase tag (the production `PhaseTagDrain`) into the
    /// consumer's ring, within the core's budget, then sends the head update
    /// the core asks for.
    func scan(_ queue: SimQueue) {
        let (drained, consumerFull) = drain(queue)
        record(.scanned(queue: queue.index, drained: drained, consumerFull: consumerFull))
        switch queue.core.handleScanned(drained: drained, consumerFull: consumerFull, now: now) {
        case .entered: queue.polling = true
        case .left: queue.polling = false
        case .none: break
        }
        if queue.core.scanAgain(drained: drained) { schedule(queue.index) }
        requestHeadUpdate(queue)
        listDeadline(queue)
    }

    /// Copies new entries into the consumer's ring within the core's budget.
    func drain(_ queue: SimQueue) -> (drained: Int, consumerFull: Bool) {
        let budget = queue.core.drainBudget
        var drained = 0
        var consumerFull = false
        while drained < budget {
            let room = min(budget - drained, queue.ringCapacity - queue.ringCount, scratch.count)
            if room == 0 {
                consumerFull = true
                break
            }
            var readIndex = queue.core.readIndex, phase = queue.core.expectedPhase
            let outcome = PhaseTagDrain.copy(
                from: queue.memory, entryCount: queue.entryCount, readIndex: &readIndex, expectedPhase: &phase,
                into: UnsafeMutableBufferPointer(rebasing: scratch[..<room]), queue: UInt32(queue.index), cdqid: queue.producer.cdqid)
            queue.core.readIndex = readIndex
            queue.core.expectedPhase = phase
            for record in scratch[..<outcome.count] {
                if queue.core.plantedBug == .overflowRecordDropped && record.kind == CDQRecord.Kind.overflow { continue }
                deliver(record, to: queue)
            }
            drained += outcome.count
            if outcome.count < room { break }
        }
        return (drained, consumerFull)
    }

    func requestHeadUpdate(_ queue: SimQueue) {
        guard case .send(let update) = queue.core.nextHeadUpdate() else { return }
        checkHeadSent(queue, update.head)
        guard admin.count < parameters.adminDepth else {
            record(.headUpdateRefused(queue: queue.index))
            schedule(queue.index) // as the engine does: try again next turn
            return
        }
        admin.append(AdminCommand(queue: queue.index, update: update, dueAt: now + adminLatency(), fate: admissionFate()))
        queue.core.handleHeadUpdateSent(update, now: now)
        record(.headUpdateSent(queue: queue.index, head: update.head, trigger: update.trigger))
        checkOneInFlight(queue)
    }

    func headUpdateCompleted(_ queue: SimQueue, _ result: QueueProtocol.HeadUpdateResult) {
        guard queue.registered else { return }
        record(.headUpdateCompleted(queue: queue.index, result: "\(result)"))
        switch queue.core.handleHeadUpdateCompleted(result) {
        case .ignored: return
        case .lost(let loss, _): lost(queue, loss)
        case .failed: if queue.removalAskedAt == nil { schedule(queue.index) }
        case .rescan:
            if queue.removalAskedAt == nil { schedule(queue.index) }
            if queue.core.stalled { requestHeadUpdate(queue) }
        case .done: break
        }
        if queue.removalAskedAt != nil { release(queue) }
    }

    /// A watchdog tick: the core's timers for every queue, and stalled queues whose consumer has room.
    func tick() {
        record(.tick)
        for queue in queues where queue.registered {
            if queue.ringCount < queue.ringCapacity, queue.core.handleConsumerSpace() { schedule(queue.index) }
            let outcome = queue.core.handleTick(now: now)
            if let loss = outcome.lost {
                admin.removeAll { $0.queue == queue.index } // cancelled
                lost(queue, loss)
                if queue.removalAskedAt != nil { release(queue); continue }
            }
            if outcome.scan { schedule(queue.index) }
        }
    }

    func lost(_ queue: SimQueue, _ loss: QueueLoss) {
        record(.lost(queue: queue.index, loss: loss))
        queue.polling = false
        deliverLoss(queue)
    }

    /// As `EngineLoop.deliverLoss`: what was posted before the loss first, then the record.
    func deliverLoss(_ queue: SimQueue) {
        let budget = queue.core.drainBudget
        if budget > 0 {
            let (drained, consumerFull) = drain(queue)
            record(.scanned(queue: queue.index, drained: drained, consumerFull: consumerFull))
            queue.core.handleDrainedAfterLoss(drained: drained, budget: budget, consumerFull: consumerFull)
            if consumerFull { return }
            if queue.core.drainBudget > 0 { schedule(queue.index); return }
        }
        guard let loss = queue.core.nextLossRecord else { return }
        guard queue.ringCount < queue.ringCapacity else {
            queue.core.handleConsumerFull()
            return
        }
        deliver(CDQRecord(raw: (0, 0, 0, 0), queue: UInt32(queue.index), cdqid: queue.producer.cdqid, kind: .queueLost,
                          detail: loss.rawValue), to: queue)
        queue.core.handleLossRecordDelivered()
    }

    func unregister(_ queue: SimQueue) {
        queue.removalAskedAt = now
        record(.unregistering(queue: queue.index))
        if queue.core.beginRemoval() { release(queue) }
    }

    func release(_ queue: SimQueue) {
        queue.removed = true
        queue.polling = false
        record(.removed(queue: queue.index))
    }
}
