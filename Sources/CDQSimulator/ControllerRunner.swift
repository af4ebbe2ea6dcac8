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
public final class ControllerRunner: @unchecked Sendable {
    // @unchecked: `channels` is behind a Mutex, `running` is atomic, and
    // `thread` is touched only by start()/stop() on the owner's thread.

    public enum Mode: Sendable { case thread, manual }

    public let subsystem: SimulatedSubsystem
    public let mode: Mode
    private let doorbell: EventFD
    private let channels = Locked<[AdminChannel]>([])
    private let running = ManagedAtomic<Bool>(false)
    private var thread: OSThread?

    public init(subsystem: SimulatedSubsystem, mode: Mode = .thread) throws(SystemError) {
        self.subsystem = subsystem
        self.mode = mode
        doorbell = try EventFD()
    }

    deinit { stop() }

    /// A new doorbell for one client thread.
    public func openChannel(depth: Int = 64) throws(SystemError) -> AdminChannel {
        let channel = try AdminChannel(depth: depth, doorbell: doorbell)
        channels.withLock { $0.append(channel) }
        return channel
    }

    /// Starts the controller thread (`.thread` mode only).
    public func start() throws(SystemError) {
        precondition(mode == .thread, "a manual runner is driven by step()")
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        subsystem.faults.setWakeup(doorbell)
        do {
            thread = try OSThread(name: "simulated controller") { [self] in
                while running.load(ordering: .acquiring) { serveOnce() }
                _ = step() // commands that raced with stop() still complete
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
    @discardableResult
    public func step() -> Int {
        subsystem.deliverDueSignals()
        return serveChannels()
    }

    /// One turn of the controller thread: sleep until the doorbell rings (or
    /// a delayed signal is due), honour a stall, then serve.
    private func serveOnce() {
        let nextDue = subsystem.deliverDueSignals()
        waitForDoorbell(until: nextDue)
        let stall = subsystem.faults.remainingStall()
        if stall > 0 { MonotonicClock.sleep(nanoseconds: stall) }
        _ = serveChannels()
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
