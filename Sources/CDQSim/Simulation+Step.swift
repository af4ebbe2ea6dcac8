import CDQEngine
import CDQNVMe

/// The scheduler: one step is one thing happening, chosen by the PRNG.
extension Simulation {
    var quiet: Bool { faultsStoppedAt != nil }

    func finished() -> Bool {
        if step == shutdownStep {
            record(.shutdown)
            return true
        }
        guard let stoppedAt = faultsStoppedAt else { return false }
        if queues.allSatisfy(settled) { return true }
        if now &- stoppedAt > parameters.livenessBound {
            let waiting = queues.filter { !settled($0) }.map { queue in
                "q\(queue.index): \(queue.owedCount) owed\(queue.removalAskedAt != nil ? ", unregister pending" : "")"
            }
            fail("liveness: \(parameters.livenessBound / 1_000_000) ms after faults stopped, still waiting: \(waiting.joined(separator: "; "))")
        }
        return false
    }

    /// Nothing more is owed on `queue`: all delivered, or its loss
    /// reported, or it was released.
    func settled(_ queue: SimQueue) -> Bool {
        queue.removed || queue.lossSeen || (queue.owedCount == 0 && queue.removalAskedAt == nil)
    }

    func takeStep() {
        step += 1
        if step == parameters.activeSteps {
            faultsStoppedAt = now
            for queue in queues { queue.stalledUntil = 0 }
            record(.faultsStopped)
        }
        now += random.next(below: quiet ? 50_000 : 20_000)
        if now >= nextTick {
            tick()
            nextTick = now + parameters.configuration.watchdogIntervalNanoseconds
            return
        }
        // The loop's wait ends at the next deadline: a turn runs then.
        if let deadline = deadlines.nextDeadline, now >= deadline {
            deadlineTurn()
            return
        }
        switch random.next(below: 16) {
        case 0...3: if quiet { engineTurn() } else { write() }
        case 4...6: engineTurn()
        case 7...8: completeAdmin()
        case 9...10: deliverEvent()
        case 11...12: pop()
        case 13: if !quiet { stallConsumer() }
        case 14: if !quiet { suspendOrUnregister() }
        default: break // time passes
        }
        // Once faults stop, consumers keep up: the bound is the engine's alone.
        if quiet { for queue in queues { drainConsumer(queue) } }
    }

    // MARK: The environment: writers, consumers, faults

    func randomQueue() -> SimQueue { queues[Int(random.next(below: UInt64(queues.count)))] }

    func write() {
        let queue = randomQueue()
        guard !queue.deleted else { return }
        let burst = faults.contains(.burst) && random.next(below: 8) == 0
        let count = burst ? Int(queue.entryCount) * 2 : 1 + Int(random.next(below: 3))
        for _ in 0..<count { post(queue) }
    }

    func pop() {
        let queue = randomQueue()
        guard queue.stalledUntil <= now, queue.ringCount > 0 else { return }
        popRecords(queue, count: 1 + Int(random.next(below: UInt64(queue.ringCount))))
    }

    func drainConsumer(_ queue: SimQueue) {
        if queue.ringCount > 0 { popRecords(queue, count: queue.ringCount) }
    }

    func popRecords(_ queue: SimQueue, count: Int) {
        queue.ringCount -= count
        record(.popped(queue: queue.index, count: count))
        if queue.registered, queue.core.handleConsumerSpace() { schedule(queue.index) }
    }

    func stallConsumer() {
        guard faults.contains(.consumerStall) else { return }
        let queue = randomQueue()
        queue.stalledUntil = now + random.next(below: 3 * SimParameters.millisecond)
        record(.consumerStalled(queue: queue.index, until: queue.stalledUntil))
    }

    func suspendOrUnregister() {
        guard random.next(below: 64) == 0 else { return }
        let queue = randomQueue()
        if random.next(below: 2) == 0 {
            guard faults.contains(.suspend), !queue.deleted else { return }
            suspend(queue)
        } else {
            guard faults.contains(.unregister), queue.registered, queue.removalAskedAt == nil else { return }
            unregister(queue)
        }
    }
}
