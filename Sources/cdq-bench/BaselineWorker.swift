import Atomics
import CCDQ
import CEpoll
import CDQNVMe
import CDQSimulator
import CDQUring
import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// One thread of the synchronous baseline: how today's tools consume a
/// CDQ, given the best threading they can reasonably have (one such thread
/// per core, each with its share of the queues).
///
/// Per wake-up: `epoll_wait` over its queues' eventfds, read the eventfd,
/// scan the queue's phase bits and take every new entry, then send the new
/// head (with the tail pointer trigger re-armed) as one *blocking* admin
/// command and wait for its completion before touching the next queue;
/// after the update, look once more (entries posted before the trigger was
/// armed would otherwise wait for a wrap). Every 10 ms without that, it
/// sweeps all its queues, as the engine's watchdog does.
///
/// The admin command goes through the same simulated controller thread as
/// the engine's, on the worker's own channel: a submit, a doorbell, a wait
/// for the completion, the simulator's equivalent of an ioctl.
final class BaselineWorker: @unchecked Sendable {
    // @unchecked: `states`, `histogram` and the book's plain fields are
    // owned by the worker thread until join; counters are atomics.

    private struct QueueState {
        let memory: UnsafeRawPointer
        let entryCount: UInt32
        let cdqid: UInt16
        let eventFD: Int32
        var readIndex: UInt32 = 0
        var phase = true
        /// The trigger is armed on the controller (as far as we know).
        var armed = false
    }

    let book: SequenceBook
    private var states: [QueueState]
    let channel: AdminChannel
    private let epoll: Int32
    private let stopping = ManagedAtomic<Bool>(false)
    let systemCalls = ManagedAtomic<UInt64>(0)
    let wakeups = ManagedAtomic<UInt64>(0)
    let headUpdates = ManagedAtomic<UInt64>(0)
    let adminErrors = ManagedAtomic<UInt64>(0)
    /// Wake-up (epoll_wait returned) to the queue's entries taken.
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)
    private static let sweepInterval: UInt64 = 10_000_000

    /// `writerQueues[i]`: the writer's index of `queues[i]`.
    init(queues: [BaselineQueue], channel: AdminChannel, probe: LatencyProbe?, stamps: DeliveryStamps?, writerQueues: [Int]) throws {
        self.channel = channel
        book = SequenceBook(queues: queues.count, probe: probe, stamps: stamps, writerQueues: writerQueues)
        states = queues.map {
            QueueState(memory: UnsafeRawPointer($0.memory.baseAddress!), entryCount: $0.entryCount, cdqid: $0.cdqid,
                       eventFD: $0.eventFD.fileDescriptor)
        }
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw BenchError("epoll_create1: errno \(errno)") }
        for (index, state) in states.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u32 = UInt32(index)
            guard epoll_ctl(epoll, EPOLL_CTL_ADD, state.eventFD, &event) == 0 else {
                close(epoll)
                throw BenchError("epoll_ctl: errno \(errno)")
            }
        }
    }

    deinit { close(epoll) }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// The thread's body.
    func run() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 64)
        defer { events.deallocate() }
        // Arm every queue's trigger first, as the engine does at registration.
        for index in states.indices { handle(index, wokenAt: 0) }
        var lastSweep = MonotonicClock.nanoseconds()
        while !stopping.load(ordering: .relaxed) {
            let ready = epoll_wait(epoll, events, 64, 10)
            count(1)
            let now = MonotonicClock.nanoseconds()
            for event in UnsafeBufferPointer(start: events, count: max(0, Int(ready))) {
                let index = Int(event.data.u32)
                wakeups.wrappingIncrement(ordering: .relaxed)
                var value: UInt64 = 0
                _ = read(states[index].eventFD, &value, 8)
                count(1)
                states[index].armed = false // a trigger fires once
                handle(index, wokenAt: now)
            }
            if now &- lastSweep >= Self.sweepInterval {
                lastSweep = now
                for index in states.indices where !states[index].armed || hasNewEntry(index) {
                    handle(index, wokenAt: 0)
                }
            }
        }
    }

    /// Takes every new entry of queue `index`, then the blocking head
    /// update; again while entries keep coming.
    private func handle(_ index: Int, wokenAt: UInt64) {
        var first = true
        while true {
            let taken = take(index)
            if taken > 0 {
                book.publish()
                if first && wokenAt != 0 { _ = histogram.record(MonotonicClock.nanoseconds() &- wokenAt) }
            }
            first = false
            guard taken > 0 || !states[index].armed else { return }
            guard updateHead(index) else { return }
            guard hasNewEntry(index) else { return }
        }
    }

    private func hasNewEntry(_ index: Int) -> Bool {
        let state = states[index]
        let attributes = loadPhaseByte(state.memory + Int(state.readIndex) * MigrationQueueEntry.size + MigrationQueueEntry.attributesOffset)
        return (attributes & 1 == 1) == state.phase
    }

    /// The phase-tag scan, entries handled in place.
    private func take(_ index: Int) -> Int {
        var state = states[index]
        var taken = 0
        while true {
            let entry = state.memory + Int(state.readIndex) * MigrationQueueEntry.size
            let attributes = loadPhaseByte(entry + MigrationQueueEntry.attributesOffset)
            guard (attributes & 1 == 1) == state.phase else { break }
            book.record(queue: index, MigrationQueueEntry(bytes: entry))
            taken += 1
            state.readIndex += 1
            if state.readIndex == state.entryCount {
                state.readIndex = 0
                state.phase.toggle()
            }
        }
        states[index] = state
        return taken
    }

    /// Set Features FID 0x21 with the new head and the trigger on the next
    /// entry, submitted and waited for: false when the controller refused
    /// it (the sweep tries again).
    private func updateHead(_ index: Int) -> Bool {
        let state = states[index]
        let command = NVMeCommand.setControllerDataQueue(
            cdqid: state.cdqid, head: state.readIndex, tailPointerTrigger: (state.readIndex + 1) % state.entryCount)
        precondition(channel.submit(AdminRequest(command), tag: UInt64(index)), "the baseline's channel is idle")
        channel.ringDoorbell()
        count(1)
        var status: NVMeStatus?
        while status == nil {
            channel.waitForCompletionEvent()
            count(2) // poll, then read
            channel.reap { _, completion in status = completion.status }
        }
        headUpdates.wrappingIncrement(ordering: .relaxed)
        guard status!.isSuccess else {
            adminErrors.wrappingIncrement(ordering: .relaxed)
            return false
        }
        states[index].armed = true
        return true
    }

    @inline(__always)
    private func count(_ calls: UInt64) { systemCalls.wrappingIncrement(by: calls, ordering: .relaxed) }
}

/// The phase byte, loaded with acquire ordering (the other 31 bytes were
/// written before it), with the same primitive the engine uses.
@inline(__always)
func loadPhaseByte(_ address: UnsafeRawPointer) -> UInt8 {
    cdq_load_acquire_u8(address.assumingMemoryBound(to: UInt8.self))
}
