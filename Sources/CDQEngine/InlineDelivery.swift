import Atomics
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Where a run-to-completion engine puts records: called on the thread that
/// polls, with a run of records in ring order (each queue's in the order
/// the controller posted them). The buffer is valid only during the call.
/// Keep it short; it may register queues and submit admin commands, but
/// not wait for the engine (`EngineError.insidePoll`).
public typealias RecordHandler = (UnsafeBufferPointer<CDQRecord>) -> Void

extension EngineLoop {
    /// Hands every record waiting in the consumer rings to `handler`, then
    /// unstalls the queues that waited for room, directly: no eventfd, since
    /// the producer and the consumer are this one thread. A ring holds at
    /// most two contiguous runs, so each consumer costs at most two calls.
    func deliverInline(_ handler: RecordHandler) -> Int {
        var handedOut = 0
        for consumer in consumers {
            while true {
                let run = consumer.peek(max: consumer.ring.capacity)
                if run.isEmpty { break }
                handler(run)
                consumer.releaseInline(run.count)
                handedOut += run.count
            }
        }
        if handedOut > 0 { unstallConsumersWithSpace() }
        return handedOut
    }
}

/// Run-to-completion: the loop of an engine driven by its creator's
/// thread. The loop and its io_uring were made on that thread (the ring is
/// SINGLE_ISSUER: only that thread may submit), so only that thread polls.
final class InlineDriver: @unchecked Sendable {
    // @unchecked: the loop is behind `loop`'s lock (the owner polling, or
    // any thread shutting down); `insidePoll` and `stopRequested` are
    // touched only by the owner thread; `owner` is immutable.
    private let owner: pthread_t
    private let loop: Locked<EngineLoop?>
    /// True while the owner thread is inside `poll` (in the handler or a
    /// completion callback): waiting for the engine there would wait for
    /// itself.
    var insidePoll = false
    /// `shutdown` was asked for inside `poll`; `poll` stops when it returns.
    var stopRequested = false
    /// Set once the loop is released; read without the lock (a handler
    /// registering a queue asks whether the engine runs while `poll` holds it).
    private let released = ManagedAtomic<Bool>(false)
    private let shutDown = ManagedAtomic<Bool>(false)

    init(loop: EngineLoop) {
        owner = pthread_self()
        self.loop = Locked(loop)
    }

    var isOwnerThread: Bool { pthread_equal(owner, pthread_self()) != 0 }

    /// Runs `body` with the loop under the lock; `.stopped` once it is gone.
    /// A loop whose turn failed is released here and the failure thrown.
    func withLoop<Result>(_ body: (EngineLoop) throws(SystemError) -> Result) throws(EngineError) -> Result {
        let outcome: Swift.Result<Result, EngineError> = loop.withLock { current in
            guard let running = current else { return .failure(.stopped) }
            do throws(SystemError) {
                return .success(try body(running))
            } catch {
                running.shared.fail(error)
                release(&current)
                return .failure(.system(error))
            }
        }
        return try outcome.get()
    }

    /// Releases every queue and answers every pending request, as the
    /// threaded loop does when it ends.
    func stop() {
        loop.withLock { release(&$0) }
    }

    private func release(_ current: inout EngineLoop?) {
        guard let running = current else { return }
        running.releaseEverything()
        current = nil
        released.store(true, ordering: .releasing)
    }

    var isStopped: Bool { released.load(ordering: .acquiring) }

    /// True for the first shutdown only, whether the loop was released by
    /// it or by a failed turn before: telemetry stops once.
    func claimShutdown() -> Bool {
        !shutDown.exchange(true, ordering: .acquiringAndReleasing)
    }
}
