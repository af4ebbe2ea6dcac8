import CDQNVMe
import CDQUring

/// Run-to-completion: the embedder's thread drives the engine (SPDK's
/// reactors, liburing's application-owned ring). There is no loop thread
/// and no hand-off to a consumer thread: records go to an inline handler
/// on the thread that polls. See docs/engine.md.
extension Engine {
    /// Makes the loop and its io_uring on the calling thread, which alone
    /// may `poll` from now on. Nothing runs between polls: entries wait in
    /// the controller's queue, the watchdog and admin timeouts wait for the
    /// next `poll`.
    ///
    /// Queues register as usual, each with a `Consumer`: its ring is the
    /// bound between a scan and the handler (a full ring stalls its queues
    /// until `poll` hands the records out). Such a consumer is read by
    /// `poll` only; never pop or wait on it. `onQueueError`,
    /// `onQueueProblem` and callers' admin completions run inside `poll` too.
    /// The engine keeps the handler until `shutdown`: a handler that holds
    /// the engine keeps it alive until then.
    public convenience init(
        runToCompletion configuration: EngineConfiguration = EngineConfiguration(),
        onRecords handler: @escaping RecordHandler,
        onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)? = nil,
        onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)? = nil
    ) throws(SystemError) {
        try self.init(configuration, inlineHandler: handler, onQueueError: onQueueError, onQueueProblem: onQueueProblem)
    }

    /// True for an engine made with `init(runToCompletion:onRecords:)`.
    public var runsToCompletion: Bool { inline != nil }

    /// Runs loop turns on this thread: scans the queues that are ready,
    /// hands their records to the handler, sends head updates and callers'
    /// admin commands, and handles their completions. Returns the number of
    /// records handed out, once some were, or once completions were handled
    /// with nothing left to scan (an admin answer, a watchdog tick), or when
    /// `timeoutNanoseconds` passed (0: one turn without waiting). Never
    /// blocks longer than the timeout; may return 0 before it, so call it
    /// in a loop.
    ///
    /// Throws `.notRunToCompletion` on an engine with its own loop thread,
    /// `.wrongThread` on any thread but the creator's, `.insidePoll` from
    /// the handler or a callback, `.stopped` after `shutdown`, and
    /// `.system` when the loop failed (everything is then released).
    @discardableResult
    public func poll(timeoutNanoseconds: UInt64) throws(EngineError) -> Int {
        guard let inline else { throw .notRunToCompletion }
        guard inline.isOwnerThread else { throw .wrongThread }
        guard !inline.insidePoll else { throw .insidePoll }
        inline.insidePoll = true
        defer {
            inline.insidePoll = false
            if inline.stopRequested { shutdown() }
        }
        let start = MonotonicClock.nanoseconds()
        let deadline = start.addingReportingOverflow(timeoutNanoseconds).overflow ? UInt64.max : start + timeoutNanoseconds
        return try inline.withLoop { loop throws(SystemError) in
            var handedOut = 0
            while true {
                let now = MonotonicClock.nanoseconds()
                let turn = try loop.turn(waitingAtMost: deadline > now ? deadline - now : 0)
                handedOut += turn.handedOut
                if handedOut > 0 || inline.stopRequested || MonotonicClock.nanoseconds() >= deadline { return handedOut }
                if turn.completions > 0 && !loop.hasScansDue { return 0 }
            }
        }
    }

    /// Waits for an answer only the loop can give. `answered(timeout)`
    /// waits at most `timeout` (nil: no limit) and says whether it came.
    /// On the thread of a run-to-completion engine, waiting means polling
    /// (records keep going to the handler); inside `poll` it would wait for
    /// itself, so it is refused.
    func waitForEngine(timeoutNanoseconds: UInt64?, _ answered: (UInt64?) -> Bool) throws(EngineError) -> Bool {
        guard let inline, inline.isOwnerThread else { return answered(timeoutNanoseconds) }
        guard !inline.insidePoll else { throw .insidePoll }
        let start = MonotonicClock.nanoseconds()
        while !answered(0) {
            let waited = MonotonicClock.nanoseconds() - start
            if let timeoutNanoseconds, waited >= timeoutNanoseconds { return false }
            let slice = min(1_000_000, (timeoutNanoseconds ?? .max) - waited)
            // A stopped or failed engine answered everything as it released it.
            do { _ = try poll(timeoutNanoseconds: slice) } catch { return answered(0) }
        }
        return true
    }

    /// True on the thread that is inside this engine's `poll` (in the
    /// handler or a callback), where calls that wait for the engine are
    /// refused (`.insidePoll`).
    public var isInsidePoll: Bool { inline.map { $0.isOwnerThread && $0.insidePoll } ?? false }

    /// Refuses a wait for the engine inside its own `poll`.
    func refuseInsidePoll() throws(EngineError) {
        if isInsidePoll { throw .insidePoll }
    }
}
