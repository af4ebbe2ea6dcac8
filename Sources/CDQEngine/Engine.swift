import Atomics
import CDQNVMe
import CDQUring
import Logging
import CoreMetrics

#if canImport(Glibc)
import Glibc
#endif

/// The CDQ engine: one io_uring event loop on its own thread that drains
/// many Controller Data Queues into consumers' bounded lock-free rings and
/// keeps each controller fed with asynchronous head updates.
///
/// Any thread may register and unregister queues and read statistics; the
/// loop thread alone touches queue memory, consumer rings (as producer) and
/// the ring. See docs/engine.md.
public final class Engine: @unchecked Sendable {
    // @unchecked: mutable state is in `shared` (locks and atomics) or owned
    // by the loop thread; `thread` is touched by init and shutdown only.

    public let configuration: EngineConfiguration
    let shared: EngineShared
    let telemetry: EngineTelemetry
    private var thread: OSThread?
    /// Run-to-completion: the loop the creating thread drives (`poll`); nil
    /// for an engine with its own loop thread.
    let inline: InlineDriver?

    /// The engine's logger (`EngineConfiguration.logger`), for the code that
    /// drives its queues' lifecycles.
    public var logger: Logger { telemetry.logger }

    /// Starts the loop thread. `onQueueError` is called on the loop thread
    /// when a head update fails, `onQueueProblem` for every entry delivered
    /// as a `.problem` record and every queue lost (keep both short; they
    /// must not block).
    public convenience init(
        _ configuration: EngineConfiguration = EngineConfiguration(),
        onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)? = nil,
        onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)? = nil
    ) throws(SystemError) {
        try self.init(configuration, inlineHandler: nil, onQueueError: onQueueError, onQueueProblem: onQueueProblem)
    }

    /// With `inlineHandler`, the loop is made on the calling thread and runs
    /// only in `poll` (run-to-completion); without, on a thread of its own.
    init(
        _ configuration: EngineConfiguration, inlineHandler: RecordHandler?,
        onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)?,
        onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)?
    ) throws(SystemError) {
        precondition(configuration.maximumQueues > 0 && configuration.drainBatch > 0, "bounds must be positive")
        precondition(EngineConfiguration.deliveryBudgetRange.contains(configuration.deliveryBudgetNanoseconds),
                     "the delivery budget must be between 100 µs and 1 s")
        self.configuration = configuration
        let telemetry = try EngineTelemetry(logger: configuration.logger ?? Logger(label: "cdq.engine"),
                                            factory: configuration.metricsFactory ?? MetricsSystem.factory)
        self.telemetry = telemetry
        shared = try EngineShared(
            maximumQueues: configuration.maximumQueues,
            onQueueError: { handle, status in
                telemetry.adminError(handle, status)
                onQueueError?(handle, status)
            },
            onQueueProblem: { handle, problem in
                if case .lost(let loss) = problem { telemetry.lost(handle, loss) }
                onQueueProblem?(handle, problem)
            })
        let shared = self.shared
        if let inlineHandler {
            // The ring is created here: with SINGLE_ISSUER it belongs to this thread.
            let loop = try EngineLoop(configuration: configuration, shared: shared)
            loop.inlineHandler = inlineHandler
            try loop.start()
            inline = InlineDriver(loop: loop)
            try startTelemetry()
            return
        }
        inline = nil
        let started = try EventFD()
        thread = try OSThread(name: "cdq engine loop") {
            // The ring is created here: with SINGLE_ISSUER it belongs to this thread.
            do {
                let loop = try EngineLoop(configuration: configuration, shared: shared)
                try? started.signal()
                loop.run()
            } catch {
                shared.fail(error)
                try? started.signal()
            }
        }
        started.wait()
        if let failure = shared.failure {
            thread?.join()
            thread = nil
            throw failure
        }
        try startTelemetry()
    }

    private func startTelemetry() throws(SystemError) {
        guard let interval = configuration.telemetryIntervalNanoseconds else { return }
        let shared = self.shared
        do throws(SystemError) {
            try telemetry.start(intervalNanoseconds: interval) { (shared.statistics, shared.wakeupLatency) }
        } catch {
            shutdown()
            throw error
        }
    }

    deinit { shutdown() }

    /// True until shutdown or a loop failure.
    var isRunning: Bool {
        let loopRuns = inline.map { !$0.isStopped } ?? (thread != nil)
        return loopRuns && shared.failure == nil
    }

    /// Hands a queue to the loop; its entries flow to `registration.consumer`.
    public func register(_ registration: QueueRegistration) throws(EngineError) -> QueueHandle {
        guard isRunning else { throw .stopped }
        let (handle, consumerIndex, newConsumer, counters) = try shared.allocate(consumer: registration.consumer)
        telemetry.attached(handle, registration.labels, counters: counters, consumer: registration.consumer)
        shared.mailbox.post(.register(
            slot: Int(handle.index), generation: handle.generation, registration,
            consumerIndex: consumerIndex, newConsumer: newConsumer, counters: counters))
        return handle
    }

    /// Takes a queue back. Returns when the loop no longer touches its
    /// memory; the result is the head the engine read up to (entries before
    /// it were delivered). Then the queue can be deleted on the controller.
    @discardableResult
    public func unregister(_ handle: QueueHandle) throws(EngineError) -> UInt32 {
        guard shared.isRegistered(handle) else { throw .unknownQueue }
        let removal: RemovalRequest
        do { removal = try RemovalRequest(slot: Int(handle.index), generation: handle.generation) }
        catch { throw .system(error) }
        try refuseInsidePoll()
        shared.mailbox.post(.unregister(removal))
        _ = try waitForEngine(timeoutNanoseconds: nil) { removal.done.wait(timeoutNanoseconds: $0) }
        telemetry.detached(handle)
        return removal.head
    }

    /// Counters of one registered queue.
    public func statistics(of handle: QueueHandle) -> QueueStatistics? {
        shared.counters(of: handle)?.snapshot
    }

    /// LAST entries the engine has delivered for `handle` so far (0 once it
    /// is unregistered); take it before the step that makes a controller
    /// post one, then `waitForLastEntry(of:beyond:)`.
    public func lastEntries(of handle: QueueHandle) -> UInt64 {
        statistics(of: handle)?.lastEntries ?? 0
    }

    /// Waits until the engine has delivered more than `count` LAST entries
    /// for `handle` into its consumer's ring, so every change logged before
    /// the LAST is there; false after `timeoutNanoseconds`. Polls the
    /// queue's counters: for the cold end of a queue's life only.
    ///
    /// On a run-to-completion engine's thread it polls meanwhile; inside
    /// `poll` it cannot, and returns false at once.
    public func waitForLastEntry(of handle: QueueHandle, beyond count: UInt64, timeoutNanoseconds: UInt64) -> Bool {
        if let inline, inline.isOwnerThread {
            return (try? waitForEngine(timeoutNanoseconds: timeoutNanoseconds) { _ in lastEntries(of: handle) > count }) ?? false
        }
        let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
        while MonotonicClock.nanoseconds() < deadline {
            if lastEntries(of: handle) > count { return true }
            MonotonicClock.sleep(nanoseconds: 200_000)
        }
        return false
    }

    /// Counters of the whole engine.
    public var statistics: EngineStatistics { shared.statistics }

    /// Wake-up to delivery latency, as of the last watchdog tick.
    public var wakeupLatency: WakeupLatency { shared.wakeupLatency }

    /// Stops the loop and joins its thread. Queues still registered are
    /// released (their memory is no longer read); idempotent.
    ///
    /// Run-to-completion: from any thread (waiting for a `poll` in progress
    /// to return); from inside `poll` (the handler or a callback), the
    /// engine stops when that `poll` returns.
    public func shutdown() {
        if let inline {
            if inline.isOwnerThread && inline.insidePoll {
                inline.stopRequested = true
            } else {
                inline.stop()
                if inline.claimShutdown() { telemetry.stop { (shared.statistics, shared.wakeupLatency) } }
            }
            return
        }
        guard let thread else { return }
        shared.mailbox.post(.stop)
        thread.join()
        self.thread = nil
        telemetry.stop { (shared.statistics, shared.wakeupLatency) }
    }
}

/// Engine-wide counters.
public struct EngineStatistics: Sendable, Equatable {
    /// Loop turns (each is one io_uring_enter at most).
    public var turns: UInt64
    /// System calls the loop thread made itself: io_uring_enter, eventfd
    /// reads of its mailbox, transports and consumers, and consumer wake-up
    /// signals. A transport's own calls (a simulator doorbell) are not
    /// included; the kernel transport makes none.
    public var systemCalls: UInt64
    /// Queues registered now.
    public var queues: Int
    /// Sum over all queues, registered now or before.
    public var totals: QueueStatistics
}
