import CDQEngine
import CDQNVMe

/// The model controller: the simulator's `QueueProducer` keeps the producer
/// rules (cdq-protocol.md §3); events and admin completions pass through
/// the seed's faults.
extension Simulation {
    /// A writer logs one change (or, with hostile entries, a malformed one).
    func post(_ queue: SimQueue) {
        if faults.contains(.tailJump), random.next(below: 32) == 0 { skipSlot(queue) }
        let sequence = queue.nextSequence
        let hostile = faults.contains(.hostileEntries) && random.next(below: 16) == 0
        // Reserved ESA 4: `validate()` refuses it, so it must arrive as a `.problem` record.
        let entry = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: sequence, attributes: hostile ? 4 << 1 : 0)
        let slot = queue.producer.tail
        let result = queue.producer.post(entry)
        guard result.posted else {
            record(.posted(queue: queue.index, sequence: sequence, slot: slot, what: .refused))
            return
        }
        queue.nextSequence += 1
        posted += 1
        if queue.producer.full {
            queue.owed.append(.init(kind: .overflow, sequence: 0, entryStatus: EntryStatusAttribute.lastQueueFull.rawValue))
            record(.posted(queue: queue.index, sequence: sequence, slot: slot, what: .overflow))
        } else {
            queue.owed.append(.init(kind: hostile ? .problem : .entry, sequence: sequence, entryStatus: hostile ? 4 : 0))
            record(.posted(queue: queue.index, sequence: sequence, slot: slot, what: hostile ? .hostile : .entry))
        }
        if result.signal { signal(queue) }
    }

    /// The tail moves past one slot without writing it; the entry posted
    /// right after makes the hole visible to the engine's look-ahead.
    func skipSlot(_ queue: SimQueue) {
        let slot = queue.producer.tail
        guard queue.producer.skipSlot() else { return }
        queue.owed.append(.init(kind: .problem, sequence: 0, entryStatus: 0, tailJump: true))
        record(.posted(queue: queue.index, sequence: 0, slot: slot, what: .skipped))
    }

    /// Migration Send suspend with DUDMQ: LAST (suspended), then the
    /// controller deletes the queue; its head updates fail from then on.
    func suspend(_ queue: SimQueue) {
        let slot = queue.producer.tail
        let result = queue.producer.post(.marker(.lastControllerSuspended, phaseTag: true))
        if result.posted {
            posted += 1
            let status = queue.producer.full ? EntryStatusAttribute.lastQueueFull : .lastControllerSuspended
            queue.owed.append(.init(kind: queue.producer.full ? .overflow : .entry, sequence: 0, entryStatus: status.rawValue))
            record(.posted(queue: queue.index, sequence: 0, slot: slot, what: queue.producer.full ? .overflow : .suspended))
        }
        queue.producer.logging = false
        queue.deleted = true
        record(.suspended(queue: queue.index))
        if result.signal { signal(queue) }
    }

    /// The trigger fired (or the queue filled): an event, unless a fault takes it.
    func signal(_ queue: SimQueue) {
        queue.eventsSent += 1
        if !quiet {
            if faults.contains(.eventMasked) && queue.eventsSent > 1 { return record(.event(queue: queue.index, fate: .masked)) }
            if faults.contains(.eventDropped) && random.next(below: 4) == 0 { return record(.event(queue: queue.index, fate: .dropped)) }
        }
        var delay: UInt64 = random.next(below: 2_000)
        var fate = TraceEvent.EventFate.delivered
        if faults.contains(.eventDelayed) && random.next(below: 2) == 0 {
            delay = random.next(below: 2 * SimParameters.millisecond)
            fate = .delayed
        }
        events.append(PendingEvent(queue: queue.index, dueAt: now + delay))
        if faults.contains(.eventDuplicated) && random.next(below: 4) == 0 {
            events.append(PendingEvent(queue: queue.index, dueAt: now + delay + random.next(below: 100_000)))
            fate = .duplicated
        }
        record(.event(queue: queue.index, fate: fate))
    }

    /// Hands one due event to the engine (any due one: events of different queues race).
    func deliverEvent() {
        let due = events.indices.filter { events[$0].dueAt <= now }
        guard !due.isEmpty else { return }
        let event = events.remove(at: due[Int(random.next(below: UInt64(due.count)))])
        readiness(event.queue)
    }

    /// How the controller will answer a head update: applied, an error,
    /// or never.
    func admissionFate() -> AdminCommand.Fate? {
        if !quiet && faults.contains(.adminLost) && random.next(below: 32) == 0 { return nil }
        guard !quiet, faults.contains(.adminErrors), random.next(below: 8) == 0 else { return .apply }
        switch random.next(below: 7) {
        case 0: return .status(.invalidFieldInCommand)
        case 1: return .status(.internalError)
        case 2: return .status(NVMeStatus(codeType: .generic, code: 0x06, doNotRetry: true))
        case 3: return .status(.commandAbortRequested)
        case 4: return .errno(-4) // EINTR: an error to retry
        case 5: return random.next(below: 4) == 0 ? .status(.invalidControllerDataQueue) : .status(.internalError)
        default: return random.next(below: 4) == 0 ? .errno(-19) : .errno(-11) // rarely ENODEV (lost); else EAGAIN, to retry
        }
    }

    /// Latency of one admin command.
    func adminLatency() -> UInt64 {
        faults.contains(.adminSlow) && !quiet ? random.next(below: 5 * SimParameters.millisecond) : 1_000 + random.next(below: 100_000)
    }

    /// Completes one due admin command: the oldest, or with reordering any due one.
    func completeAdmin() {
        let due = admin.indices.filter { admin[$0].fate != nil && admin[$0].dueAt <= now }
        guard !due.isEmpty else { return }
        let pick = faults.contains(.adminReordered) ? due[Int(random.next(below: UInt64(due.count)))] : due[0]
        let command = admin.remove(at: pick)
        let queue = queues[command.queue]
        let result: QueueProtocol.HeadUpdateResult
        switch command.fate {
        case .apply?:
            result = .completed(queue.deleted ? .invalidControllerDataQueue
                : queue.producer.update(head: command.update.head, trigger: command.update.trigger))
        case .status(let status)?: result = .completed(status)
        case .errno(let errno)?: result = .systemError(errno)
        case nil: return
        }
        headUpdateCompleted(queue, result)
    }
}
