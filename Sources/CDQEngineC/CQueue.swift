import CDQEngine
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What a `cdq_queue` handle holds: the attached queue (simulated or on a
/// device, the same `AttachedQueue` lifecycle either way) while attached,
/// and what the queue was, which stays readable after it is detached.
final class CQueue: @unchecked Sendable {
    // @unchecked: the AttachedQueue is touched only under `queue`'s lock.
    let engine: CEngine
    let consumer: CConsumer
    let simulator: CSimulator?
    let index: UInt32
    let cdqid: UInt16
    let cntlid: UInt16
    let entries: UInt32
    /// nil once detached. The lock makes a queue's calls one at a time.
    private let queue: Locked<AttachedQueue?>

    init(_ attached: AttachedQueue, engine: CEngine, consumer: CConsumer, simulator: CSimulator?) {
        self.engine = engine
        self.consumer = consumer
        self.simulator = simulator
        index = attached.handle.index
        cdqid = attached.cdqid
        cntlid = attached.cntlid
        entries = attached.entryCount
        queue = Locked(attached)
        engine.attached.wrappingIncrement(ordering: .relaxed)
        consumer.attached.wrappingIncrement(ordering: .relaxed)
        simulator?.attached.wrappingIncrement(ordering: .relaxed)
    }

    var isAttached: Bool { queue.withLock { $0 != nil } }

    /// Runs `body` on the attached queue; -ENOTCONN once detached.
    func withQueue(_ body: (AttachedQueue) throws(QueueLifecycleError) -> Void) throws(CAPIError) {
        try refuseInsidePoll()
        let outcome: CAPIError? = queue.withLock { queue in
            guard let attached = queue else { return detachedError() }
            do throws(QueueLifecycleError) { try body(attached) } catch { return Errno.of(error) }
            return nil
        }
        if let outcome { throw outcome }
    }

    /// Runs `body`, which detaches the queue whatever it throws (as every
    /// `AttachedQueue` call ending in `detach` does), and forgets the
    /// queue; -ENOTCONN if already detached.
    func detaching(_ body: (AttachedQueue) throws(QueueLifecycleError) -> Void) throws(CAPIError) {
        try refuseInsidePoll()
        let outcome: CAPIError? = queue.withLock { queue in
            guard let attached = queue else { return detachedError() }
            var failure: CAPIError?
            do throws(QueueLifecycleError) { try body(attached) } catch { failure = Errno.of(error) }
            try? attached.detach() // a no-op unless `body` left it attached
            queue = nil
            engine.attached.wrappingDecrement(ordering: .relaxed)
            consumer.attached.wrappingDecrement(ordering: .relaxed)
            simulator?.attached.wrappingDecrement(ordering: .relaxed)
            return failure
        }
        if let outcome { throw outcome }
    }

    /// Inside a run-to-completion engine's handler every lifecycle call
    /// would wait for the engine (and this queue's lock may be held by the
    /// call that is polling): refused before anything is touched.
    func refuseInsidePoll() throws(CAPIError) {
        if let refusal = insidePollRefusal { throw refusal }
    }

    var insidePollRefusal: CAPIError? {
        engine.engine.isInsidePoll ? Errno.of(EngineError.insidePoll) : nil
    }

    private func detachedError() -> CAPIError {
        CAPIError(ENOTCONN, "queue \(cdqid) of controller \(cntlid) is detached")
    }
}
