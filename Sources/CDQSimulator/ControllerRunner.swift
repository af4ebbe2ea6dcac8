import Atomics
import CDQQueues
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Serves a simulated subsystem's admin commands from the channels' rings,
/// on the controller's own thread (`.thread`) or only when the owner calls
/// `step()` (`.manual`, the deterministic mode tests use).
///
/// The thread sleeps on the doorbell eventfd; a signal wakes it, it runs
/// every waiting command of every channel in order, pushes the completions
/// and signals each channel that got some. Delayed trigger signals (a fault
/// knob) are delivered from here when due; a stall (another knob) keeps the
/// thread from serving commands for its duration.
///
/// Under a timed `AdminCost` the commands instead go through
/// `TimedAdminQueue`: bounded slots, one service at a time, a latency, and
/// one AER re-arm per delivered event; the thread then also sleeps until
/// the next service end or completion is due (`PreciseWait`).
public final class ControllerRunner: @unchecked Sendable {
    // @unchecked: `channels` is behind a Mutex, `running` is atomic, and
    // `thread` is touched only by start()/stop() on the owner's thread.

    public enum Mode: Sendable { case thread, manual }

    public let subsystem: SimulatedSubsystem
    public let mode: Mode
    /// How the controller spends time on admin commands (`.free`: none).
    public let adminCost: AdminCost
    private let doorbell: EventFD
    private let counters: AdminCounters
    /// nil under `.free`; touched only by the serving thread.
    private let timed: TimedAdminQueue?
    private let channels = Locked<[AdminChannel]>([])
    private let running = ManagedAtomic<Bool>(false)
    private var thread: OSThread?

    /// Fails with EINVAL when `adminCost` cannot be simulated (`AdminCost.problem`).
    public init(subsystem: SimulatedSubsystem, mode: Mode = .thread, adminCost: AdminCost = .free) throws(SystemError) {
        if let problem = adminCost.problem { throw SystemError("simulated controller: \(problem)", errno: EINVAL) }
        self.subsystem = subsystem
        self.mode = mode
        self.adminCost = adminCost
        doorbell = try EventFD()
        counters = AdminCounters(cost: adminCost, doorbell: doorbell)
        timed = adminCost.isFree ? nil : TimedAdminQueue(cost: adminCost, subsystem: subsystem, counters: counters)
        subsystem.faults.setDeliveryObserver(counters)
    }

    deinit {
        stop()
        // The counters hold the doorbell: a subsystem that outlives its runner must not keep it open.
        subsystem.faults.removeDeliveryObserver(counters)
    }

    /// A new doorbell for one client thread.
    public func openChannel(depth: Int = 64) throws(SystemError) -> AdminChannel {
        let channel = try AdminChannel(depth: depth, doorbell: doorbell)
        channels.withLock { $0.append(channel) }
        return channel
    }

    /// Admin commands served, AER re-arms and peak occupancy so far; any thread.
    public var adminStatistics: AdminStatistics { counters.snapshot }

    /// Starts the controller thread (`.thread` mode only).
    public func start() throws(SystemError) {
        precondition(mode == .thread, "a manual runner is driven by step()")
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        subsystem.faults.setWakeup(doorbell)
        do {
            thread = try OSThread(name: "simulated controller") { [self] in
                if timed != nil { PreciseWait.tightenTimerSlack() }
                while running.load(ordering: .acquiring) { serveOnce() }
                finishAll() // commands that raced with stop() still complete
            }
        } catch {
            running.store(false, ordering: .releasing)
            subsystem.faults.setWakeup(nil)
            throw error
        }
    }

    /// Stops and joins the controller thread; commands already rung are served first.
    public func stop() {
        guard running.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged else { return }
        try? doorbell.signal()
        thread?.join()
        thread = nil
        subsystem.faults.setWakeup(nil)
    }

    /// Serves every waiting command and due signal once, on the caller's
    /// thread; returns how many commands ran. The deterministic mode.
    /// Under a timed `AdminCost` it completes only what is due by now.
    @discardableResult
    public func step() -> Int {
        subsystem.deliverDueSignals()
        guard let timed else { return serveChannels() }
        return serveTimed(timed).completed
    }

    /// One turn of the controller thread: sleep until the doorbell rings (or
    /// a delayed signal is due), honour a stall, then serve.
    private func serveOnce() {
        guard let timed else {
            let nextDue = subsystem.deliverDueSignals()
            waitForDoorbell(until: nextDue)
            honourStall()
            _ = serveChannels()
            return
        }
        let nextSignal = subsystem.deliverDueSignals()
        honourStall()
        let nextDue = serveTimed(timed).nextDue
        let deadline = [nextDue, nextSignal].compactMap { $0 }.min()
        PreciseWait.wait(doorbell, until: deadline)
        if let nextDue, nextDue == deadline {
            let now = MonotonicClock.nanoseconds()
            if now >= nextDue { counters.recordWakeup(lateness: now - nextDue) }
        }
    }

    private func honourStall() {
        let stall = subsystem.faults.remainingStall()
        if stall > 0 { MonotonicClock.sleep(nanoseconds: stall) }
    }

    /// Takes what arrived and serves what is due now.
    private func serveTimed(_ timed: TimedAdminQueue) -> (completed: Int, nextDue: UInt64?) {
        let snapshot = channels.withLock { $0 }
        let now = MonotonicClock.nanoseconds()
        timed.take(arrival: now, from: snapshot)
        return timed.serve(until: now, channels: snapshot)
    }

    /// At stop: everything rung completes now, whatever its time.
    private func finishAll() {
        subsystem.deliverDueSignals()
        guard let timed else {
            _ = serveChannels()
            return
        }
        let snapshot = channels.withLock { $0 }
        timed.take(arrival: MonotonicClock.nanoseconds(), from: snapshot)
        _ = timed.serve(until: .max, channels: snapshot)
    }

    private func serveChannels() -> Int {
        let snapshot = channels.withLock { $0 }
        var served = 0
        for channel in snapshot {
            var pushed = false
            while let submission = channel.submissions.tryPop() {
                if subsystem.faults.takeLostAdmin(opcode: submission.request.command.opcode) { continue }
                let completion = subsystem.execute(submission.request)
                // Cannot fail: a client keeps at most `depth` in flight.
                let accepted = channel.completions.tryPush(AdminCompletionEntry(tag: submission.tag, completion: completion))
                assert(accepted, "completion ring overflow: client exceeded its depth")
                channel.countCompleted()
                counters.commandsServed.wrappingIncrement(ordering: .relaxed)
                counters.raisePeak(to: 1)
                pushed = true
                served += 1
            }
            if pushed { try? channel.completionEvent.signal() }
        }
        return served
    }

    private func waitForDoorbell(until deadline: UInt64?) {
        let now = MonotonicClock.nanoseconds()
        // Without a delayed signal waiting, sleep until rung (stop() rings too).
        let timeout = deadline.map { $0 > now ? min($0 - now, 1_000_000_000) : 0 }
        doorbell.wait(timeoutNanoseconds: timeout)
    }
}
