import CCDQ
import CDQNVMe
import CDQUring
import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// What a completion on the loop's ring is about (`UserData.kind`).
enum Tag: UInt8 {
    case readiness = 1      // multishot poll on a queue's eventfd; index = slot
    case counterRead = 2    // read of an eventfd counter; a CQE only on failure (CQE_SKIP_SUCCESS)
    case headUpdate = 3     // uring_cmd head update (kernel transport); index = slot
    case transport = 4      // poll on a transport's completion eventfd; index = transport
    case space = 5          // poll on a consumer's space eventfd; index = consumer
    case control = 6        // poll on the mailbox eventfd
    case watchdog = 7       // the safety-net timeout
    case cancel = 8         // cancellations; their results need no action
    case admin = 9          // a caller's admin command (Engine.submitAdmin); index = admin slot
}

/// Admin commands from callers in flight at once; more wait in the backlog.
let maximumAdminCommands = 256

/// The engine's event loop. Created on, and used only by, the loop thread:
/// it owns the io_uring (SINGLE_ISSUER), every QueueSlot, and the ready list.
///
/// Exclusivity. The properties marked `@exclusivity(unchecked)` (here and
/// in `QueueSlot`) are the ones touched per queue per turn. Swift checks a
/// class property's accesses for overlap at run time, a call into the
/// runtime for every access: in `perf`, a quarter of a deadline tick over
/// 256 queues. These are touched by the loop thread only, and never from
/// inside another access to themselves (the ready list is swapped out
/// before it is walked; the core's methods are pure and reach no slot), so
/// the check can never fire. Keep it so: a closure passed into an access
/// to one of them must not touch it. `cdq-bench moderate`: the loop
/// thread's CPU 15 % lower, the engine's 10 %.
final class EngineLoop {
    let configuration: EngineConfiguration
    let ring: IOURing
    let shared: EngineShared
    @exclusivity(unchecked) private var slots: [QueueSlot?]
    private var generations: GenerationTable
    /// Slots to scan this turn: work is proportional to queues that signalled.
    @exclusivity(unchecked) private var ready: [Int] = []
    /// The list being scanned; swapped with `ready` so neither reallocates.
    private var scanning: [Int] = []
    /// Queues in polling mode: scheduled every turn without an event.
    private var pollingSlots: [Int] = []
    /// The active moderated queues, and the tick their deadline scans are due at.
    private var deadlines: DeadlineList
    private(set) var consumers: [Consumer] = []
    /// Run-to-completion: the embedder's handler, called on the loop's
    /// (the embedder's) thread at each turn; nil: consumers on their own threads.
    var inlineHandler: RecordHandler?
    /// Consumers given records since they were last woken (by index), and
    /// which: each is woken once a turn, after every scan of the turn, not
    /// once per queue (a consumer that pops between two scans would cost a
    /// wake-up each time).
    @exclusivity(unchecked) private var consumersToWake: [Bool] = []
    @exclusivity(unchecked) private var wakeList: [Int] = []
    private var stalledByConsumer: [[Int]] = []
    private var transports: [any AdminTransport] = []
    @exclusivity(unchecked) private var transportsToFlush: [Bool] = []
    /// Where eventfd counter reads land; the values are never looked at
    /// (a read only resets its counter), so one buffer serves every read.
    private let discardedCounter: UnsafeMutablePointer<UInt64>
    /// Loop turns so far; a queue's counter is read at most once a turn.
    private var turnNumber: UInt64 = 0
    private let watchdogTime: UnsafeMutablePointer<__kernel_timespec>
    /// The watchdog's timeout (or a move of it) was prepared and goes out
    /// with the next submission.
    private var watchdogUnsubmitted = false
    /// When the submitted watchdog timeout completes, about (its CQE ends
    /// any wait by then); 0 before the first.
    private var watchdogDue: UInt64 = 0
    private var stopping = false
    /// Wake-up to delivery, in nanoseconds; published at each watchdog tick.
    private var latency = WakeupLatency.makeHistogram()
    /// Measurements in the last published summary: a watchdog tick with
    /// nothing new measured publishes nothing (three percentile walks over
    /// the histogram's counters cost more than the rest of the tick).
    private var latencyPublished: UInt64 = .max
    /// Control requests taken from the mailbox and not yet carried out; if
    /// the loop fails midway, `releaseEverything` still answers them.
    private var inbox: [ControlRequest] = []
    /// Callers' admin commands in flight, by slot; `freeAdmins` lists the empty slots.
    private var admins: [PendingAdmin?] = Array(repeating: nil, count: maximumAdminCommands)
    private var freeAdmins: [Int] = Array((0..<maximumAdminCommands).reversed())
    /// Callers' admin commands waiting for a slot or for room in their transport, in order.
    private var adminBacklog: [PendingAdmin] = []
    /// Head updates submitted whose completion has not come back (of any
    /// queue, also one unregistered or lost since): the batching sleep
    /// waits for none of them.
    private var headUpdatesInFlight = 0
    /// Registered queues that follow `.nextEntry`: their events must wake
    /// the loop at once, so the loop never sleeps through events while
    /// there is one.
    private var eventDrivenQueues = 0

    init(configuration: EngineConfiguration, shared: EngineShared) throws(SystemError) {
        self.configuration = configuration
        self.shared = shared
        ring = try IOURing(RingConfiguration(entries: configuration.ringEntries, bigEntries: true))
        slots = Array(repeating: nil, count: configuration.maximumQueues)
        generations = GenerationTable(slots: configuration.maximumQueues)
        deadlines = DeadlineList(capacity: configuration.maximumQueues)
        ready.reserveCapacity(configuration.maximumQueues)
        scanning.reserveCapacity(configuration.maximumQueues)
        discardedCounter = .allocate(capacity: 1)
        watchdogTime = .allocate(capacity: 1)
        let interval = Int64(configuration.watchdogIntervalNanoseconds)
        watchdogTime.initialize(to: __kernel_timespec(tv_sec: interval / 1_000_000_000, tv_nsec: interval % 1_000_000_000))
    }

    deinit {
        discardedCounter.deallocate()
        watchdogTime.deallocate()
    }

    // MARK: The loop

    func run() {
        do {
            try start()
            while !stopping {
                try turn()
            }
        } catch {
            shared.fail(error)
        }
        releaseEverything()
    }

    /// Polls the mailbox and arms the watchdog: the loop's first submissions.
    func start() throws(SystemError) {
        try poll(shared.mailbox.event.fileDescriptor, .control, index: 0)
        try armWatchdog()
    }

    /// One turn: send callers' admin commands, scan what is ready (and send
    /// the head updates that are due), wait, handle completions.
    ///
    /// Callers' commands go first: they are few (attach, Track Send,
    /// suspend), and behind the head updates of thousands of busy queues a
    /// transport never has room left for them, so they would wait out the
    /// admin timeout.
    ///
    /// Run-to-completion (`inlineHandler` set): the records scanned go to
    /// the handler before the transports' doorbells and the wait, the wait lasts at most `limit`,
    /// and none at all once records were handed out (`Engine.poll`).
    @discardableResult
    func turn(waitingAtMost limit: UInt64? = nil) throws(SystemError) -> (handedOut: Int, completions: Int) {
        turnNumber &+= 1
        sendAdminBacklog()
        scheduleDueDeadlines()
        scanReady()
        wakeConsumers()
        // Run-to-completion: the records before the doorbells, as a
        // threaded consumer is woken before them.
        let handedOut = inlineHandler.map(deliverInline) ?? 0
        flushTransports()
        // After the records and the doorbells: never in a delivery's way.
        try runWatchdogIfDue()
        noteWatchdogSubmission()
        let wait = handedOut > 0 ? 0 : sooner(waitLimit(), timerNeeded(for: limit))
        if wait != 0, let end = batchingSleepEnd(limit: limit) {
            try sleepBatchingEvents(end)
        } else if wait == 0 {
            try ring.submitAndGetEvents()
        } else if let wait {
            _ = try ring.submitAndWait(timeoutNanoseconds: Int64(min(wait, UInt64(Int64.max))))
        } else {
            try ring.submitAndWait(minimum: 1)
        }
        shared.counters.turns.add(1)
        shared.counters.systemCalls.add(1)
        var failure: SystemError?
        let completions = ring.forEachCompletion { completion in
            do throws(SystemError) { try handle(completion) } catch { failure = failure ?? error }
        }
        wakeConsumers() // records delivered by completions (a lost queue's)
        if let failure { throw failure }
        for index in pollingSlots { schedule(index) }
        return (handedOut, completions)
    }

    /// How long the turn may wait for completions; nil: until one comes.
    /// Queues to scan next turn (polled, or stopped by the drain batch)
    /// allow 20 µs; the next deadline scan, the time until it is due.
    private func waitLimit() -> UInt64? {
        var limit: UInt64? = !pollingSlots.isEmpty || !ready.isEmpty ? 20_000 : nil
        if let deadline = deadlines.nextTick {
            let now = MonotonicClock.nanoseconds()
            let untilDue = deadline > now ? deadline - now : 0
            limit = sooner(limit, untilDue)
        }
        return limit
    }

    /// The watchdog timeout (or its move) prepared since the last
    /// submission goes out with this turn's: it completes one interval
    /// from now, or a little later.
    private func noteWatchdogSubmission() {
        guard watchdogUnsubmitted else { return }
        watchdogUnsubmitted = false
        watchdogDue = MonotonicClock.nanoseconds() &+ configuration.watchdogIntervalNanoseconds
    }

    /// A caller's limit on the wait (`Engine.poll`'s timeout), or nil when
    /// the watchdog's completion ends the wait in time anyway: then the
    /// wait needs no timer of its own, and the kernel programs none (in a
    /// virtual machine each costs exits, twice per wait that an event ends
    /// early). The watchdog may complete a little after `watchdogDue`, so
    /// it must be due a margin before the limit.
    private func timerNeeded(for limit: UInt64?) -> UInt64? {
        guard let limit, watchdogDue != 0 else { return limit }
        let now = MonotonicClock.nanoseconds()
        let (end, overflow) = now.addingReportingOverflow(limit)
        return overflow || watchdogDue &+ Self.watchdogMargin <= end ? nil : limit
    }

    /// How much later than `watchdogDue` its timeout may complete: the
    /// time from noting the submission to making it, and timer slack.
    private static let watchdogMargin: UInt64 = 200_000

    /// The batching sleep, NAPI's idea (while events are frequent, they
    /// need not each interrupt): the loop sleeps outside the ring, on the
    /// mailbox's futex, for at most a quarter of a scan interval and never
    /// past the next deadline tick. Under DEFER_TASKRUN the kernel then only
    /// queues the queues' readiness events (it wakes a task for them only
    /// while the task waits in the ring), and the turn after the sleep
    /// takes them all. With many sparse queues every change finds its queue
    /// idle and fires an event, and each would otherwise cost the loop a
    /// wake-up of its own, and a threaded consumer another (docs/engine.md,
    /// "Moderation": `cdq-bench scale` at 4096 queues).
    ///
    /// An event's entries wait at most that quarter interval longer; the
    /// rest of the budget is left for a late wake-up and the hand-off,
    /// which on a loaded machine take hundreds of µs (a half interval put
    /// the delivery p99 over the budget there). The loop sleeps so only
    /// while events are frequent (`eventsFrequent`) and nothing else needs
    /// it sooner: every queue moderated, no scan due, no head update or
    /// caller's admin command in flight (their completions end a ring wait;
    /// an entry posted before a re-arm took effect is found when the re-arm
    /// completes), no queue stalled on its consumer. A control request ends
    /// the sleep (`ControlMailbox`).
    private func batchingSleepEnd(limit: UInt64?) -> UInt64? {
        guard eventsFrequent, ring.mode == .singleIssuerDeferTaskrun, eventDrivenQueues == 0,
              ready.isEmpty, pollingSlots.isEmpty, headUpdatesInFlight == 0,
              freeAdmins.count == maximumAdminCommands, adminBacklog.isEmpty,
              !stalledByConsumer.contains(where: { !$0.isEmpty }) else { return nil }
        let now = MonotonicClock.nanoseconds()
        var end = now &+ batchingWindow
        if let tick = deadlines.nextTick { end = min(end, tick) }
        if let limit { end = min(end, now &+ limit) }
        return end > now &+ Self.shortestBatchingSleep ? end : nil
    }

    /// Two readiness events came within a batching sleep's length of each
    /// other since the last batching sleep, or with it: events are
    /// frequent, and the next wait is a batching sleep. Once a sleep brings
    /// no two such events, the loop waits in the ring again: there the
    /// first event after a quiet spell wakes it at once, and a wait costs
    /// one call, not two (`moderate`, with active queues and rare events,
    /// stays at about one call per scan interval). A lone event does not
    /// count: a sleep after it would gather nothing and cost a timed
    /// wake-up (at 200 changes/s over 16 queues, every change an event:
    /// 43 to 49 µs of CPU per entry, 70 to 76 µs with a sleep after each).
    private var eventsFrequent = false
    /// When the last readiness event was handled.
    private var lastReadiness: UInt64 = 0

    private func noteReadiness(at now: UInt64) {
        if now &- lastReadiness < batchingWindow { eventsFrequent = true }
        lastReadiness = now
    }

    /// The longest batching sleep, and how close two events must come to
    /// make events frequent: a quarter of a scan interval.
    private var batchingWindow: UInt64 {
        QueueProtocol.scanInterval(budget: configuration.deliveryBudgetNanoseconds) / 4
    }

    /// Below this a ring wait costs no more than the sleep's extra calls.
    private static let shortestBatchingSleep: UInt64 = 50_000

    /// Submits what the turn prepared, sleeps until `end` or a control
    /// request, then runs the deferred completion work: one turn takes
    /// every event that came meanwhile. The submission comes before the
    /// sleep, not with the reap after it: an eventfd counter read submitted
    /// after events came would reset the counter before the deferred poll
    /// work looks at it, and that work would post no completion.
    private func sleepBatchingEvents(_ end: UInt64) throws(SystemError) {
        if try ring.submit() > 0 { shared.counters.systemCalls.add(1) }
        shared.counters.systemCalls.add(1)
        shared.mailbox.sleep(until: end)
        eventsFrequent = false // until a readiness completion of this turn says otherwise
        try ring.submitAndGetEvents()
    }

    /// A head update's completion came back (the batching sleep's count).
    private func noteHeadUpdateCompletion() {
        assert(headUpdatesInFlight > 0, "a head update completes once")
        headUpdatesInFlight = max(0, headUpdatesInFlight - 1)
    }

    /// The shorter of two optional waits (nil: no limit), without building
    /// an array on every turn.
    private func sooner(_ first: UInt64?, _ second: UInt64?) -> UInt64? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }

    /// Queues are waiting to be scanned at the next turn.
    var hasScansDue: Bool { !ready.isEmpty || !pollingSlots.isEmpty }

    private func handle(_ completion: Completion) throws(SystemError) {
        let tag = completion.tag
        switch Tag(rawValue: tag.kind) {
        case .readiness:
            // A queue being removed keeps its cancelled poll cancelled.
            guard let slot = current(tag), slot.removal == nil else { return }
            slot.counters.wakeups.add(1)
            let now = MonotonicClock.nanoseconds()
            noteReadiness(at: now)
            slot.core.handleTailPointerEvent()
            if slot.wokenAt == 0 { slot.wokenAt = now }
            if !completion.hasMore { slot.pollArmed = false; try armReadiness(slot) }
            try readCounter(slot)
            schedule(slot.index)
        case .counterRead:
            break // a read that found the counter already reset (EAGAIN): nothing to do
        case .headUpdate:
            noteHeadUpdateCompletion()
            guard let slot = current(tag) else { return }
            headUpdateCompleted(slot, completion.result < 0 ? .systemError(completion.result)
                : .completed(NVMeStatus(rawValue: UInt16(truncatingIfNeeded: completion.result))))
        case .transport:
            let transport = transports[Int(tag.index)]
            if let fd = transport.completionEventFD {
                // Reset before reaping, synchronously: a completion pushed
                // after the reap signals again and is seen. (Reset later,
                // through the ring, the reset could swallow that signal's
                // poll, and the completion would wait for ever.)
                _ = readNonBlocking(fd)
                if !completion.hasMore { try poll(fd, .transport, index: Int(tag.index)) }
            }
            transport.reapCompletions { rawTag, status, dw0 in
                let tag = UserData(rawValue: rawTag)
                if tag.kind == Tag.admin.rawValue {
                    completeAdmin(Int(tag.index), .completed(status, dw0: dw0))
                } else {
                    noteHeadUpdateCompletion()
                    if let slot = current(tag) { headUpdateCompleted(slot, .completed(status)) }
                }
            }
        case .space:
            let index = Int(tag.index)
            _ = readNonBlocking(consumers[index].spaceEvent.fileDescriptor)
            if !completion.hasMore { try poll(consumers[index].spaceEvent.fileDescriptor, .space, index: index) }
            unstall(consumer: index)
        case .control:
            _ = readNonBlocking(shared.mailbox.event.fileDescriptor)
            if !completion.hasMore { try poll(shared.mailbox.event.fileDescriptor, .control, index: 0) }
            try processControl()
        case .watchdog:
            // The loop sat idle for an interval: the timeout woke it.
            watchdogTick()
            try armWatchdog()
        case .admin:
            completeAdmin(Int(tag.index), AdminOutcome(passthrough: completion))
        case .cancel, nil:
            break
        }
    }

    /// The slot a tag names, unless the queue it named was unregistered since.
    private func current(_ tag: UserData) -> QueueSlot? {
        guard Int(tag.index) < slots.count, generations.isCurrent(tag) else { return nil }
        return slots[Int(tag.index)]
    }

    private func publishLatency() {
        guard latency.totalCount != latencyPublished else { return }
        latencyPublished = latency.totalCount
        shared.publish(latency)
        // The published value shares the counters until one side writes.
        // Copy them now, at the tick, not at the next record on the way to
        // a delivery (a few microseconds there, in the p99 of a
        // run-to-completion delivery): a zero-count record of 0 changes no
        // figure (not the minimum, not the maximum), only makes the storage
        // the loop's own.
        _ = latency.record(0, count: 0)
    }

    // MARK: Scanning

    func schedule(_ index: Int) {
        guard let slot = slots[index], !slot.scheduled, !slot.core.stalled else { return }
        slot.scheduled = true
        ready.append(index)
    }

    /// At a due tick, gives every active moderated queue its deadline
    /// scan: the core settles the ones with nothing new with one look at a
    /// phase tag, the others are scanned; a listed queue that is gone or
    /// idle again leaves the list.
    private func scheduleDueDeadlines() {
        guard let due = deadlines.nextTick else { return }
        let now = MonotonicClock.nanoseconds()
        guard now >= due else { return }
        let next = QueueProtocol.deadline(after: now, budget: configuration.deliveryBudgetNanoseconds)
        deadlines.tick(now: now, next: next) { entry in
            guard let slot = slots[entry.index], slot.generation == entry.generation else { return false }
            let memory = slot.memory
            switch slot.core.handleDeadlineTick(now: now, scanPending: slot.scheduled || slot.wokenAt != 0, hasNewEntry: { index, phase in
                PhaseTagDrain.isNew(memory, index: index, phase: phase)
            }) {
            case .idle:
                slot.deadlineListed = false
                return false
            case .notDue:
                break
            case .handled:
                slot.deadlineScansUnpublished &+= 1
            case .scan:
                slot.deadlineScansUnpublished &+= 1
                schedule(slot.index)
            }
            return true
        }
    }

    /// Lists a moderated queue that became active, once.
    private func listDeadline(_ slot: QueueSlot) {
        guard !slot.deadlineListed, let deadline = slot.core.scanDeadline else { return }
        slot.deadlineListed = true
        deadlines.list(.init(index: slot.index, generation: slot.generation), deadline: deadline)
    }

    private func scanReady() {
        guard !ready.isEmpty else { return }
        let now = MonotonicClock.nanoseconds()
        swap(&ready, &scanning)
        for index in scanning {
            guard let slot = slots[index] else { continue }
            slot.scheduled = false
            guard slot.removal == nil else { continue }
            if slot.core.loss != nil { deliverLoss(slot); continue }
            scan(slot, now: now)
        }
        scanning.removeAll(keepingCapacity: true)
    }

    /// Drains `slot` by phase tag into its consumer's ring, then sends a
    /// head update if one is due (cdq-protocol.md §4).
    private func scan(_ slot: QueueSlot, now: UInt64) {
        slot.counters.scans.add(1)
        if slot.core.polling { slot.counters.polls.add(1) }
        let (drained, consumerFull) = drain(slot)
        if drained > 0 {
            markForWake(slot)
            if slot.wokenAt != 0 {
                _ = latency.record(MonotonicClock.nanoseconds() &- slot.wokenAt)
            }
        }
        // A wake-up whose entries an earlier scan already took measures nothing.
        slot.wokenAt = 0
        if consumerFull { stall(slot) }
        switch slot.core.handleScanned(drained: drained, consumerFull: consumerFull, now: now) {
        case .entered: pollingSlots.append(slot.index)
        case .left: pollingSlots.removeAll { $0 == slot.index }
        case .none: break
        }
        if slot.core.scanAgain(drained: drained) { schedule(slot.index) }
        requestHeadUpdate(slot)
        listDeadline(slot)
    }

    /// Copies new entries straight into the consumer ring; stops at the
    /// first old phase, at the core's budget, or when the ring is full
    /// (`consumerFull`).
    private func drain(_ slot: QueueSlot) -> (drained: Int, consumerFull: Bool) {
        let budget = slot.core.drainBudget
        var drained = 0
        while drained < budget {
            let region = slot.consumer.ring.reserve(max: budget - drained)
            if region.isEmpty {
                if slot.consumer.waitForSpace() { continue }
                slot.counters.entries.add(UInt64(drained))
                return (drained, true)
            }
            let copied = copyEntries(slot, into: region)
            slot.consumer.ring.commit(copied)
            drained += copied
            if copied < region.count { break }
        }
        slot.counters.entries.add(UInt64(drained))
        return (drained, false)
    }

    private func copyEntries(_ slot: QueueSlot, into region: UnsafeMutableBufferPointer<CDQRecord>) -> Int {
        var readIndex = slot.core.readIndex
        var expectedPhase = slot.core.expectedPhase
        let outcome = PhaseTagDrain.copy(
            from: slot.memory, entryCount: slot.entryCount, readIndex: &readIndex, expectedPhase: &expectedPhase,
            into: region, queue: UInt32(slot.index), cdqid: slot.cdqid, check: slot.check)
        slot.core.readIndex = readIndex
        slot.core.expectedPhase = expectedPhase
        if outcome.overflows > 0 { slot.counters.overflows.add(UInt64(outcome.overflows)) }
        if outcome.lastEntries > 0 { slot.counters.lastEntries.add(UInt64(outcome.lastEntries)) }
        if outcome.problems > 0 { noteProblems(slot, UnsafeBufferPointer(rebasing: region[..<outcome.count])) }
        return outcome.count
    }

    /// Counts each `.problem` record by kind and tells the error callback.
    /// Off the hot path: only a copy that found problems comes here.
    private func noteProblems(_ slot: QueueSlot, _ records: UnsafeBufferPointer<CDQRecord>) {
        let handle = QueueHandle(index: UInt32(slot.index), generation: slot.generation)
        for record in records {
            guard let problem = record.problem else { continue }
            slot.counters.countProblem(problem)
            shared.report(handle, .entry(problem, record.entry))
        }
    }

    private func markForWake(_ slot: QueueSlot) {
        guard !consumersToWake[slot.consumerIndex] else { return }
        consumersToWake[slot.consumerIndex] = true
        wakeList.append(slot.consumerIndex)
    }

    /// Wakes each consumer that got records this turn, once.
    private func wakeConsumers() {
        for index in wakeList {
            consumersToWake[index] = false
            if consumers[index].wakeConsumer() { shared.counters.systemCalls.add(1) }
        }
        wakeList.removeAll(keepingCapacity: true)
    }

    private func stall(_ slot: QueueSlot) {
        slot.counters.ringFullStalls.add(1)
        stalledByConsumer[slot.consumerIndex].append(slot.index)
    }

    /// Unstalls every consumer that has room and queues waiting for it,
    /// without waiting for its space signal.
    func unstallConsumersWithSpace() {
        for index in consumers.indices where !stalledByConsumer[index].isEmpty && consumers[index].ring.freeSpace > 0 {
            unstall(consumer: index)
        }
    }

    /// A consumer has room again: its stalled queues are scanned.
    private func unstall(consumer index: Int) {
        for queue in stalledByConsumer[index] where slots[queue]?.core.handleConsumerSpace() == true { schedule(queue) }
        stalledByConsumer[index].removeAll(keepingCapacity: true)
    }

    // MARK: Head updates

    /// Sends the head update the core asks for, if any: at most one in
    /// flight per queue, a newer head waits for the completion (coalescing).
    private func requestHeadUpdate(_ slot: QueueSlot) {
        let update: QueueProtocol.HeadUpdate
        switch slot.core.nextHeadUpdate() {
        case .none: return
        case .coalesced:
            slot.counters.headUpdatesCoalesced.add(1)
            return
        case .send(let next): update = next
        }
        let command = NVMeCommand.setControllerDataQueue(cdqid: slot.cdqid, head: update.head, tailPointerTrigger: update.trigger)
        let tag = UserData(kind: Tag.headUpdate.rawValue, generation: slot.generation, index: UInt32(slot.index))
        let accepted = (try? slot.transport.submit(command, data: nil, tag: tag.rawValue, ring: ring)) ?? false
        guard accepted else {
            // Transport full: its completions are on their way and will wake
            // the loop; scan again next turn and try once more.
            schedule(slot.index)
            return
        }
        slot.core.handleHeadUpdateSent(update, now: MonotonicClock.nanoseconds())
        headUpdatesInFlight += 1
        slot.counters.headUpdates.add(1)
        markForFlush(slot.transport)
    }

    private func headUpdateCompleted(_ slot: QueueSlot, _ result: QueueProtocol.HeadUpdateResult) {
        let handle = QueueHandle(index: UInt32(slot.index), generation: slot.generation)
        switch slot.core.handleHeadUpdateCompleted(result) {
        case .ignored:
            return
        case .lost(let loss, let status):
            if let status {
                slot.counters.adminErrors.add(1)
                shared.report(handle, status)
            }
            reportLoss(slot, loss)
        case .failed(let status):
            slot.counters.adminErrors.add(1)
            shared.report(handle, status)
            if slot.removal == nil { schedule(slot.index) }
        case .rescan:
            // Scan once more after arming: entries posted before the trigger
            // was armed would otherwise wait for a wrap (the lost wake-up, §4).
            if slot.removal == nil { schedule(slot.index) }
            // A queue stalled on its consumer is not scanned, but what the
            // consumer's ring already holds goes back to the controller.
            if slot.core.stalled { requestHeadUpdate(slot) }
        case .done:
            break
        }
        if let removal = slot.removal { finishRemoval(slot, removal) }
    }

    // MARK: Losing a queue

    /// Cancels a head update the core gave up, where the ring holds it.
    private func abandonHeadUpdate(_ slot: QueueSlot) {
        guard slot.transport.completionEventFD == nil else { return }
        let target = UserData(kind: Tag.headUpdate.rawValue, generation: slot.generation, index: UInt32(slot.index))
        try? ring.nextSubmission().prepareCancel(target, UserData(kind: Tag.cancel.rawValue, index: 0))
    }

    /// The controller lost the queue (`QueueProtocol.handleLoss`): the
    /// engine never reads it or sends it a head update again, counts the
    /// loss, tells the error callback, and delivers one `.queueLost`
    /// record. A head update still in flight was abandoned (cancelled on
    /// the ring where it lives there), so unregistering never waits for an
    /// answer that may not come.
    private func reportLoss(_ slot: QueueSlot, _ loss: QueueLoss) {
        pollingSlots.removeAll { $0 == slot.index }
        slot.counters.queueLosses.add(1)
        shared.report(QueueHandle(index: UInt32(slot.index), generation: slot.generation), .lost(loss))
        deliverLoss(slot)
    }

    /// Reads what the controller posted before it lost the queue, then puts
    /// the `.queueLost` record into the consumer's ring, or waits for space
    /// like any stalled queue: the record is never dropped.
    private func deliverLoss(_ slot: QueueSlot) {
        let budget = slot.core.drainBudget
        if budget > 0 {
            let (drained, consumerFull) = drain(slot)
            if drained > 0 { markForWake(slot) }
            slot.core.handleDrainedAfterLoss(drained: drained, budget: budget, consumerFull: consumerFull)
            if consumerFull { stall(slot); return }
            if slot.core.drainBudget > 0 { schedule(slot.index); return }
        }
        guard let loss = slot.core.nextLossRecord else { return }
        let region = slot.consumer.ring.reserve(max: 1)
        guard !region.isEmpty else {
            if slot.consumer.waitForSpace() { schedule(slot.index) } else {
                slot.core.handleConsumerFull()
                stall(slot)
            }
            return
        }
        region[0] = CDQRecord(raw: (0, 0, 0, 0), queue: UInt32(slot.index), cdqid: slot.cdqid, kind: .queueLost, detail: loss.rawValue)
        slot.consumer.ring.commit(1)
        slot.core.handleLossRecordDelivered()
        slot.counters.entries.add(1)
        markForWake(slot)
    }

    private func markForFlush(_ transport: any AdminTransport) {
        if let index = transports.firstIndex(where: { $0 === transport }) { transportsToFlush[index] = true }
    }

    private func flushTransports() {
        for index in transports.indices where transportsToFlush[index] {
            transports[index].flush()
            transportsToFlush[index] = false
        }
    }

    // MARK: Callers' admin commands

    /// Sends waiting admin commands in order while slots and transports have
    /// room; a full transport keeps the rest for the next turn.
    private func sendAdminBacklog() {
        while let pending = adminBacklog.first, let index = freeAdmins.last {
            let tag = UserData(kind: Tag.admin.rawValue, index: UInt32(index))
            let accepted: Bool
            do { accepted = try pending.transport.submit(pending.command, data: pending.data, tag: tag.rawValue, ring: ring) }
            catch {
                adminBacklog.removeFirst()
                pending.completion(.systemError(error))
                continue
            }
            guard accepted else { return }
            adminBacklog.removeFirst()
            freeAdmins.removeLast()
            admins[index] = pending
            markForFlush(pending.transport)
        }
    }

    private func completeAdmin(_ index: Int, _ outcome: AdminOutcome) {
        guard index < admins.count, let pending = admins[index] else { return }
        admins[index] = nil
        freeAdmins.append(index)
        if !pending.abandoned { pending.completion(outcome) }
    }

    /// Answers callers' admin commands without data that waited longer
    /// than `adminTimeoutNanoseconds`, in flight (cancelled where the ring
    /// holds them; the slot is kept until an answer comes) or not yet sent.
    /// A command with a data buffer is never given up: the device may
    /// still write the buffer, so only its completion may release it.
    private func expireAdmins(now: UInt64) {
        let timeout = configuration.adminTimeoutNanoseconds
        func expired(_ pending: PendingAdmin) -> Bool { pending.data == nil && now &- pending.queuedAt >= timeout }
        // Made only when a command expired: the tick runs every interval,
        // and the message is a String to format and allocate.
        func timedOut() -> AdminOutcome {
            .systemError(SystemError("admin command: no completion in \(timeout / 1_000_000) ms; given up", errno: 110 /* ETIMEDOUT */))
        }
        for index in admins.indices {
            guard let pending = admins[index], !pending.abandoned, expired(pending) else { continue }
            pending.abandoned = true
            if pending.transport.completionEventFD == nil {
                let target = UserData(kind: Tag.admin.rawValue, index: UInt32(index))
                try? ring.nextSubmission().prepareCancel(target, UserData(kind: Tag.cancel.rawValue, index: 0))
            }
            pending.completion(timedOut())
        }
        guard !adminBacklog.isEmpty else { return }
        for pending in adminBacklog where expired(pending) { pending.completion(timedOut()) }
        adminBacklog.removeAll(where: expired)
    }

    // MARK: Watchdog

    private static let watchdogTag = UserData(kind: Tag.watchdog.rawValue, index: 0)

    private func armWatchdog() throws(SystemError) {
        try ring.nextSubmission().prepareTimeout(watchdogTime, Self.watchdogTag)
        watchdogUnsubmitted = true
    }

    /// The watchdog's work in a turn that runs anyway, in the last quarter
    /// of its interval, and its timeout moved an interval further: a loop
    /// that something wakes at least every quarter interval is never woken
    /// by the watchdog (on this VM a wake-up costs some 20 µs of CPU, and a
    /// change arriving meanwhile waits for it); an idle one still is. Ticks
    /// then come 3/4 to 1 interval apart, which the core's rules allow
    /// (they compare timestamps with the interval, not ticks). Should the
    /// timeout complete before the move reaches it, the move fails
    /// harmlessly (`-ENOENT`, a `.cancel` completion) and the completion
    /// re-arms it at once, in the same `handle`: at most one watchdog
    /// timeout is ever armed, and from the first submission on always one.
    private func runWatchdogIfDue() throws(SystemError) {
        guard !watchdogUnsubmitted, watchdogDue != 0 else { return }
        let early = configuration.watchdogIntervalNanoseconds / 4
        guard MonotonicClock.nanoseconds() &+ early >= watchdogDue else { return }
        watchdogTick()
        let sqe = try ring.nextSubmission()
        sqe.prepareTimeoutUpdate(watchdogTime, target: Self.watchdogTag, UserData(kind: Tag.cancel.rawValue, index: 0))
        sqe.skipCompletionOnSuccess()
        watchdogUnsubmitted = true
    }

    private func watchdogTick() {
        publishLatency()
        watchdogFired()
    }

    /// Scans every queue no event has scanned for an interval, and retries
    /// head updates that gave up: a lost event costs latency, never entries.
    private func watchdogFired() {
        let now = MonotonicClock.nanoseconds()
        expireAdmins(now: now)
        // A stalled queue waits for its consumer's space signal; should that
        // signal ever be missed, the free space itself is the cue.
        unstallConsumersWithSpace()
        // Queues being removed too: one whose head update never answers
        // must not keep `unregister` waiting for ever.
        for case let slot? in slots {
            slot.publishDeadlineScans()
            let tick = slot.core.handleTick(now: now)
            if let loss = tick.lost {
                abandonHeadUpdate(slot)
                reportLoss(slot, loss)
                if let removal = slot.removal { finishRemoval(slot, removal); continue }
            }
            if tick.watchdogScan { slot.counters.watchdogScans.add(1) }
            if tick.scan { schedule(slot.index) }
        }
    }

    // MARK: Registration

    private func processControl() throws(SystemError) {
        inbox = shared.mailbox.take()
        while !inbox.isEmpty {
            let request = inbox.removeFirst()
            switch request {
            case .register(let index, let generation, let registration, let consumerIndex, let newConsumer, let counters):
                if newConsumer { try addConsumer(registration.consumer, index: consumerIndex) }
                try addTransportIfNew(registration.transport)
                let slot = QueueSlot(index: index, generation: generation, registration: registration, consumerIndex: consumerIndex,
                                     counters: counters, configuration: configuration)
                precondition(generations.tag(kind: 0, slot: index).generation == generation, "slot generation out of step")
                slots[index] = slot
                if !slot.core.moderated { eventDrivenQueues += 1 }
                try armReadiness(slot)
                schedule(index)
            case .unregister(let removal):
                guard let slot = slots[removal.slot], slot.generation == removal.generation else {
                    try? removal.done.signal()
                    continue
                }
                slot.removal = removal
                let canFinish = slot.core.beginRemoval()
                if slot.pollArmed {
                    let target = UserData(kind: Tag.readiness.rawValue, generation: slot.generation, index: UInt32(slot.index))
                    try ring.nextSubmission().prepareCancel(target, UserData(kind: Tag.cancel.rawValue, index: 0))
                }
                if canFinish { finishRemoval(slot, removal) }
            case .admin(let pending):
                do throws(SystemError) { try addTransportIfNew(pending.transport) } catch {
                    pending.completion(.systemError(error))
                    continue
                }
                adminBacklog.append(pending)
            case .stop:
                stopping = true
            }
        }
    }

    private func addConsumer(_ consumer: Consumer, index: Int) throws(SystemError) {
        precondition(index == consumers.count, "consumers are registered in order")
        consumers.append(consumer)
        consumersToWake.append(false)
        stalledByConsumer.append([])
        try poll(consumer.spaceEvent.fileDescriptor, .space, index: index)
    }

    private func addTransportIfNew(_ transport: any AdminTransport) throws(SystemError) {
        guard !transports.contains(where: { $0 === transport }) else { return }
        transports.append(transport)
        transportsToFlush.append(false)
        if let fd = transport.completionEventFD { try poll(fd, .transport, index: transports.count - 1) }
    }

    private func finishRemoval(_ slot: QueueSlot, _ removal: RemovalRequest) {
        slot.publishDeadlineScans()
        if slot.core.polling { pollingSlots.removeAll { $0 == slot.index } }
        removal.head = slot.core.readIndex
        generations.advance(slot: slot.index)
        slots[slot.index] = nil
        if !slot.core.moderated { eventDrivenQueues -= 1 }
        stalledByConsumer[slot.consumerIndex].removeAll { $0 == slot.index }
        shared.release(slot: slot.index)
        try? removal.done.signal()
    }

    // MARK: io_uring helpers

    private func armReadiness(_ slot: QueueSlot) throws(SystemError) {
        let tag = UserData(kind: Tag.readiness.rawValue, generation: slot.generation, index: UInt32(slot.index))
        try ring.nextSubmission().preparePollMultishot(fd: slot.eventFD.fileDescriptor, tag)
        slot.pollArmed = true
    }

    /// Resets a queue's eventfd counter, at most once a turn: several
    /// readiness CQEs of one queue in a batch need one read.
    private func readCounter(_ slot: QueueSlot) throws(SystemError) {
        guard slot.counterReadTurn != turnNumber else { return }
        slot.counterReadTurn = turnNumber
        try discardCounter(slot.eventFD.fileDescriptor)
    }

    /// Resets an eventfd counter through the ring, batched with the turn's
    /// other submissions: no system call of its own, and no CQE when it
    /// succeeds (CQE_SKIP_SUCCESS), so it never costs a turn either.
    ///
    /// Only for queue eventfds. The reset runs after the scan that follows
    /// the wake-up, so it can swallow the signal of an entry posted in
    /// between; that entry is still found by the scan after the next head
    /// update completes (the controller signals only through a trigger that
    /// update armed) or by the watchdog: latency, never loss. Transports'
    /// and consumers' eventfds are reset synchronously before acting,
    /// because nothing would rescan for them.
    private func discardCounter(_ fd: Int32) throws(SystemError) {
        let buffer = UnsafeMutableRawBufferPointer(start: discardedCounter, count: 8)
        let sqe = try ring.nextSubmission()
        sqe.prepareRead(fd: fd, into: buffer, offset: UInt64.max, UserData(kind: Tag.counterRead.rawValue, index: 0))
        sqe.skipCompletionOnSuccess()
    }

    private func poll(_ fd: Int32, _ kind: Tag, index: Int) throws(SystemError) {
        try ring.nextSubmission().preparePollMultishot(fd: fd, UserData(kind: kind.rawValue, index: UInt32(index)))
    }

    private func readNonBlocking(_ fd: Int32) -> UInt64 {
        var value: UInt64 = 0
        shared.counters.systemCalls.add(1)
        return read(fd, &value, 8) == 8 ? value : 0
    }

    // MARK: Shutdown

    /// Frees every slot and answers pending removals, so no caller blocks forever.
    func releaseEverything() {
        wakeConsumers()
        shared.publish(latency)
        for case let slot? in slots {
            if let removal = slot.removal { finishRemoval(slot, removal) } else {
                slot.publishDeadlineScans()
                shared.release(slot: slot.index)
            }
        }
        for request in inbox + shared.mailbox.take() {
            switch request {
            case .unregister(let removal): try? removal.done.signal()
            case .admin(let pending): pending.completion(.engineStopped)
            case .register, .stop: break
            }
        }
        for case let pending? in admins where !pending.abandoned { pending.completion(.engineStopped) }
        for pending in adminBacklog { pending.completion(.engineStopped) }
        admins = Array(repeating: nil, count: maximumAdminCommands)
        adminBacklog.removeAll()
    }
}
