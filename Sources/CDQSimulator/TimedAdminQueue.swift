/// The managing controller's admin queue under a timed `AdminCost`
/// (docs/simulator.md, "Admin cost model"): commands taken from every
/// channel, and the AER re-arms of delivered events, wait in arrival order
/// for one of `depth` slots; `AdminTimeline` says when each is served and
/// completes; this carries its effect and its completion out when the
/// clock reaches them.
///
/// Touched only by the thread that serves (the controller thread, or the
/// caller of `step()`). Bounded: what waits is at most every channel's
/// depth plus the re-arms of delivered events.
final class TimedAdminQueue {
    /// `source` is the channel's index, or `rearm` for an AER re-arm.
    private struct Waiting {
        var source: Int
        var submission: AdminSubmission?
        var arrival: UInt64
    }

    private struct Held {
        var source: Int
        var submission: AdminSubmission?
        var schedule: AdminTimeline.Schedule
        var completion = AdminCompletion.success
    }

    private static let rearm = -1
    private let subsystem: SimulatedSubsystem
    private let counters: AdminCounters
    private let depth: Int
    private var timeline: AdminTimeline
    private var waiting = FIFO<Waiting>()
    /// Admitted commands, oldest first: they hold the slots.
    private var held = FIFO<Held>()
    /// How many of `held` have had their effect (service ended).
    private var executed = 0
    /// When each free slot was freed, oldest first (0: never used);
    /// `freed.count + held.count == depth`.
    private var freed = FIFO<UInt64>()
    /// Channels that got completions in this pass.
    private var completedOn: [Bool] = []

    init(cost: AdminCost, subsystem: SimulatedSubsystem, counters: AdminCounters) {
        self.subsystem = subsystem
        self.counters = counters
        depth = cost.depth
        timeline = AdminTimeline(cost: cost)
        for _ in 0..<cost.depth { freed.push(0) }
    }

    /// Nothing waits and no slot is held.
    var isIdle: Bool { waiting.isEmpty && held.isEmpty }

    /// Takes every command the channels hold and every delivered event's
    /// re-arm; they arrived at `arrival` (now) and wait in that order.
    func take(arrival: UInt64, from channels: [AdminChannel]) {
        for _ in 0..<counters.takePendingRearms() {
            waiting.push(Waiting(source: Self.rearm, submission: nil, arrival: arrival))
        }
        for (index, channel) in channels.enumerated() {
            while let submission = channel.submissions.tryPop() {
                if subsystem.faults.takeLostAdmin(opcode: submission.request.command.opcode) { continue }
                waiting.push(Waiting(source: index, submission: submission, arrival: arrival))
            }
        }
    }

    /// Carries out every service end and completion due by `now`, admitting
    /// waiting commands as slots free; returns the client commands completed
    /// and when the next service end or completion is due (nil: idle).
    func serve(until now: UInt64, channels: [AdminChannel]) -> (completed: Int, nextDue: UInt64?) {
        if completedOn.count < channels.count { completedOn.append(contentsOf: repeatElement(false, count: channels.count - completedOn.count)) }
        var completed = 0
        var progressed = true
        while progressed {
            let executedSome = executeDue(now)
            let completedSome = completeDue(now, channels, &completed)
            progressed = admitWaiting() || executedSome || completedSome
        }
        for index in completedOn.indices where completedOn[index] {
            completedOn[index] = false
            try? channels[index].completionEvent.signal()
        }
        return (completed, nextDue)
    }

    private var nextDue: UInt64? {
        let serviceEnd = executed < held.count ? held[executed].schedule.serviceEnd : nil
        let completion = held.first?.schedule.completion
        switch (serviceEnd, completion) {
        case let (end?, done?): return min(end, done)
        case let (end, done): return end ?? done
        }
    }

    /// Commands whose service ended take effect, in admission order.
    private func executeDue(_ now: UInt64) -> Bool {
        var any = false
        while executed < held.count, held[executed].schedule.serviceEnd <= now {
            if let submission = held[executed].submission {
                held[executed].completion = subsystem.execute(submission.request)
            }
            executed += 1
            any = true
        }
        return any
    }

    /// Commands whose completion is due leave their slot; a client's gets its completion.
    private func completeDue(_ now: UInt64, _ channels: [AdminChannel], _ completed: inout Int) -> Bool {
        var any = false
        while executed > 0, let first = held.first, first.schedule.completion <= now {
            _ = held.popFirst()
            executed -= 1
            freed.push(first.schedule.completion)
            any = true
            guard let submission = first.submission else {
                counters.aerRearms.wrappingIncrement(ordering: .relaxed)
                continue
            }
            let channel = channels[first.source]
            // Cannot fail: a client keeps at most `depth` in flight.
            let accepted = channel.completions.tryPush(AdminCompletionEntry(tag: submission.tag, completion: first.completion))
            assert(accepted, "completion ring overflow: client exceeded its depth")
            channel.countCompleted()
            counters.commandsServed.wrappingIncrement(ordering: .relaxed)
            completedOn[first.source] = true
            completed += 1
        }
        return any
    }

    /// Waiting commands take free slots, in arrival order.
    private func admitWaiting() -> Bool {
        var any = false
        while held.count < depth, let next = waiting.popFirst() {
            let schedule = timeline.admit(arrival: next.arrival, slotFreedAt: freed.popFirst() ?? 0)
            held.push(Held(source: next.source, submission: next.submission, schedule: schedule))
            counters.raisePeak(to: held.count)
            any = true
        }
        return any
    }
}
