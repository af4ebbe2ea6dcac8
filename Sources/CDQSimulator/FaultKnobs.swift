import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Faults a test can inject into the simulated controller, to show that
/// the engine survives what real controllers and kernels do (cdq-protocol.md
/// §6): events that never arrive or arrive late, admin commands that fail,
/// a controller that stops answering for a while.
///
/// Thread-safe; every knob applies from the next event or command on.
public final class FaultKnobs: @unchecked Sendable {
    // @unchecked: all state is inside the Mutex.

    /// At most this many delayed signals wait at once; beyond it a delayed
    /// signal is delivered at once (a bounded queue, and no event lost by it).
    public static let maximumDelayedSignals = 4096

    struct State {
        var dropNextTriggers = 0
        var maskAfterFirstDelivery = false
        var masked = false
        var triggerDelayNanoseconds: UInt64 = 0
        var delayed: [(deadline: UInt64, eventFD: EventFD)] = []
        var failNextAdmin = 0
        var adminFailure = NVMeStatus.internalError
        var adminFailureOpcode: UInt8?
        var stallUntil: UInt64 = 0
        var resumeAfterStateRead = false
        var loseNextAdmin = 0
        var lostAdminOpcode: UInt8?
        var statistics = FaultStatistics()
        /// Rung when a signal is delayed, so a sleeping controller thread
        /// recomputes when it must wake up.
        var wakeup: EventFD?
        /// Told of every delivered signal: each costs an AER re-arm.
        var deliveries: AdminCounters?
    }
    private let state = Locked(State())

    public init() {}

    /// Drops the next `count` tail pointer / queue full signals.
    public func dropNextTriggers(_ count: Int) {
        state.withLock { $0.dropNextTriggers = count }
    }

    /// After one delivered signal, drop all later ones, like the TP4159
    /// emulation that masks asynchronous event type 4 after its first
    /// delivery (§6). `false` unmasks.
    public func maskAfterFirstDelivery(_ on: Bool) {
        state.withLock {
            $0.maskAfterFirstDelivery = on
            if !on { $0.masked = false }
        }
    }

    /// Delays every signal by `nanoseconds` (0: deliver at once).
    public func delayTriggers(byNanoseconds nanoseconds: UInt64) {
        state.withLock { $0.triggerDelayNanoseconds = nanoseconds }
    }

    /// Fails the next `count` admin commands with `status` before they run;
    /// with `opcode`, only commands with that opcode (so a test can fail a
    /// Track Send or Migration Send while the engine's head updates go on).
    public func failNextAdminCommands(_ count: Int, with status: NVMeStatus, opcode: UInt8? = nil) {
        state.withLock {
            $0.failNextAdmin = count
            $0.adminFailure = status
            $0.adminFailureOpcode = opcode
        }
    }

    /// The controller thread processes no admin command for `nanoseconds`.
    public func stall(forNanoseconds nanoseconds: UInt64) {
        state.withLock { $0.stallUntil = MonotonicClock.nanoseconds() + nanoseconds }
    }

    /// The controller resumes itself right after answering the next
    /// Migration Receive, as a kernel's reset does when a read through the
    /// suspended controller timed out (cdq-protocol.md §6b): a migrator that
    /// checks "suspended" before and after its final copy sees it change.
    public func resumeAfterNextStateRead() {
        state.withLock { $0.resumeAfterStateRead = true }
    }

    /// The next `count` admin commands (with `opcode`: only those) are
    /// taken from their channel and never run nor complete: a controller
    /// that stops answering one command while the rest go on.
    public func loseNextAdminCommands(_ count: Int, opcode: UInt8? = nil) {
        state.withLock {
            $0.loseNextAdmin = count
            $0.lostAdminOpcode = opcode
        }
    }

    public var statistics: FaultStatistics { state.withLock { $0.statistics } }

    // MARK: Used by the controller

    /// The controller thread's doorbell, rung whenever a signal is delayed.
    func setWakeup(_ eventFD: EventFD?) {
        state.withLock { $0.wakeup = eventFD }
    }

    /// The admin queue that re-arms an AER for every delivered signal.
    func setDeliveryObserver(_ counters: AdminCounters) {
        state.withLock { $0.deliveries = counters }
    }

    /// Forgets `counters` if it is still the observer (a newer runner's stays).
    func removeDeliveryObserver(_ counters: AdminCounters) {
        state.withLock { if $0.deliveries === counters { $0.deliveries = nil } }
    }

    /// Signals `eventFD` now, later, or never, as the knobs say.
    func deliverTrigger(eventFD: EventFD) {
        let now = MonotonicClock.nanoseconds()
        let (deliverNow, wakeup, deliveries): (Bool, EventFD?, AdminCounters?) = state.withLock { state in
            if state.masked || state.dropNextTriggers > 0 {
                if !state.masked { state.dropNextTriggers -= 1 }
                state.statistics.triggersDropped += 1
                return (false, nil, nil)
            }
            if state.maskAfterFirstDelivery { state.masked = true }
            if state.triggerDelayNanoseconds > 0 && state.delayed.count < Self.maximumDelayedSignals {
                state.delayed.append((now + state.triggerDelayNanoseconds, eventFD))
                state.statistics.triggersDelayed += 1
                return (false, state.wakeup, nil)
            }
            state.statistics.triggersDelivered += 1
            return (true, nil, state.deliveries)
        }
        if deliverNow {
            try? eventFD.signal()
            deliveries?.eventsDelivered(1)
        }
        try? wakeup?.signal()
    }

    /// Delivers delayed signals whose time has come; returns the deadline of
    /// the next one still waiting, if any.
    @discardableResult
    func deliverDueSignals(now: UInt64 = MonotonicClock.nanoseconds()) -> UInt64? {
        let (due, next, deliveries): ([EventFD], UInt64?, AdminCounters?) = state.withLock { state in
            let due = state.delayed.filter { $0.deadline <= now }.map(\.eventFD)
            state.delayed.removeAll { $0.deadline <= now }
            state.statistics.triggersDelivered += due.count
            return (due, state.delayed.map(\.deadline).min(), state.deliveries)
        }
        for eventFD in due { try? eventFD.signal() }
        deliveries?.eventsDelivered(due.count)
        return next
    }

    /// The status an admin command must fail with instead of running, if any.
    func takeAdminFailure(opcode: UInt8) -> NVMeStatus? {
        state.withLock { state in
            guard state.failNextAdmin > 0, state.adminFailureOpcode.map({ $0 == opcode }) ?? true else { return nil }
            state.failNextAdmin -= 1
            state.statistics.adminCommandsFailed += 1
            return state.adminFailure
        }
    }

    /// True once after `resumeAfterNextStateRead()`.
    func takeResumeAfterStateRead() -> Bool {
        state.withLock { state in
            defer { state.resumeAfterStateRead = false }
            return state.resumeAfterStateRead
        }
    }

    /// True when the command must vanish without a completion.
    func takeLostAdmin(opcode: UInt8) -> Bool {
        state.withLock { state in
            guard state.loseNextAdmin > 0, state.lostAdminOpcode.map({ $0 == opcode }) ?? true else { return false }
            state.loseNextAdmin -= 1
            state.statistics.adminCommandsLost += 1
            return true
        }
    }

    /// Nanoseconds the controller thread must still stall (0: none).
    func remainingStall(now: UInt64 = MonotonicClock.nanoseconds()) -> UInt64 {
        state.withLock { $0.stallUntil > now ? $0.stallUntil - now : 0 }
    }
}

/// What the fault knobs did.
public struct FaultStatistics: Sendable, Equatable {
    public var triggersDelivered = 0
    public var triggersDropped = 0
    public var triggersDelayed = 0
    public var adminCommandsFailed = 0
    /// Admin commands taken and never completed (`loseNextAdminCommands`).
    public var adminCommandsLost = 0
}
