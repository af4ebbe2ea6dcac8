import CDQNVMe
import CDQUring

/// Faults of a controller that misbehaves or goes away, for the tests that
/// show the host never trusts it (cdq-protocol.md §4): entries a correct
/// controller never writes, a tail that skips a slot, a queue deleted or
/// forgotten behind the host's back, and a controller reset.
extension SimulatedController {
    /// Posts `entry` into the queue exactly as given (only the phase tag
    /// is the queue's), whatever it says: reserved values, another NSID, a
    /// range past the namespace, a marker nobody asked for. Returns false
    /// without a queue or when the queue is full.
    @discardableResult
    public func postHostileEntry(_ entry: MigrationQueueEntry) -> Bool {
        let (posted, signal): (Bool, EventFD?) = state.withLock { state in
            guard state.queue != nil else { return (false, nil) }
            let result = state.queue!.post(entry)
            return (result.posted, result.signal ? state.queue!.eventFD : nil)
        }
        if let signal { faults.deliverTrigger(eventFD: signal) }
        return posted
    }

    /// Moves the queue's tail past one slot without writing it: the entry
    /// the host would read there never comes. False without room or queue.
    @discardableResult
    public func skipQueueSlot() -> Bool {
        state.withLock { state in
            guard state.queue != nil else { return false }
            return state.queue!.skipSlot()
        }
    }
}

extension SimulatedSubsystem {
    /// The controller deletes migratable controller `cntlid`'s queue on its
    /// own: later commands naming the CDQID get Invalid Controller Data
    /// Queue, and the memory is never written again. False without a queue.
    @discardableResult
    public func deleteQueueBehindTheHost(cntlid: UInt16) -> Bool {
        guard let controller = controller(cntlid) else { return false }
        return admin.withLock { state in
            guard let cdqid = state.queues.first(where: { $0.value == cntlid })?.key else { return false }
            return deleteQueue(cdqid: cdqid, &state).status.isSuccess
        }
            && controller.queueSnapshot == nil
    }

    /// A controller reset of migratable controller `cntlid`: its queue is
    /// forgotten (as `deleteQueueBehindTheHost`) and a suspended controller
    /// runs again, as a kernel's reset does (cdq-protocol.md §6b).
    public func resetController(cntlid: UInt16) {
        deleteQueueBehindTheHost(cntlid: cntlid)
        controller(cntlid)?.state.withLock { $0.suspended = false }
    }
}
