import CDQEngine
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What a `cdq_queue` handle holds: the backend while attached, and what
/// the queue was, which stays readable after it is detached.
final class CQueue: Sendable {
    let engine: CEngine
    let consumer: CConsumer
    let simulator: CSimulator?
    let index: UInt32
    let cdqid: UInt16
    let cntlid: UInt16
    let entries: UInt32
    /// nil once detached. The lock makes a queue's calls one at a time.
    private let backend: Locked<(any QueueBackend)?>

    init(_ backend: any QueueBackend, engine: CEngine, consumer: CConsumer, simulator: CSimulator?) {
        self.engine = engine
        self.consumer = consumer
        self.simulator = simulator
        index = backend.handle.index
        cdqid = backend.cdqid
        cntlid = backend.cntlid
        entries = backend.entryCount
        self.backend = Locked(backend)
        engine.attached.wrappingIncrement(ordering: .relaxed)
        consumer.attached.wrappingIncrement(ordering: .relaxed)
        simulator?.state.withLock { $0.attached += 1 }
    }

    var isAttached: Bool { backend.withLock { $0 != nil } }

    /// Runs `body` on the attached backend; -ENOTCONN once detached.
    func withBackend(_ body: (any QueueBackend) throws(CAPIError) -> Void) throws(CAPIError) {
        let outcome: CAPIError? = backend.withLock { backend in
            guard let attached = backend else { return detachedError() }
            do throws(CAPIError) { try body(attached) } catch { return error }
            return nil
        }
        if let outcome { throw outcome }
    }

    /// Runs `body`, which detaches the backend whatever it throws, and
    /// forgets the backend; -ENOTCONN if already detached.
    func detaching(_ body: (any QueueBackend) throws(CAPIError) -> Void) throws(CAPIError) {
        let outcome: CAPIError? = backend.withLock { backend in
            guard let attached = backend else { return detachedError() }
            var failure: CAPIError?
            do throws(CAPIError) { try body(attached) } catch { failure = error }
            backend = nil
            engine.attached.wrappingDecrement(ordering: .relaxed)
            consumer.attached.wrappingDecrement(ordering: .relaxed)
            simulator?.state.withLock { $0.attached -= 1 }
            return failure
        }
        if let outcome { throw outcome }
    }

    private func detachedError() -> CAPIError {
        CAPIError(ENOTCONN, "queue \(cdqid) of controller \(cntlid) is detached")
    }
}
