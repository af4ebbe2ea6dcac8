import Atomics
import CDQUring

/// Requests from other threads to the loop, and how they are answered.
enum ControlRequest: Sendable {
    case register(slot: Int, generation: UInt16, QueueRegistration, consumerIndex: Int, newConsumer: Bool, counters: QueueCounters)
    case unregister(RemovalRequest)
    /// An admin command from `Engine.submitAdmin`.
    case admin(PendingAdmin)
    /// Ends the loop after the requests before it.
    case stop
}

/// An unregister in progress; the caller blocks on `done` until the loop
/// no longer touches the queue.
final class RemovalRequest: @unchecked Sendable {
    // @unchecked: `head` is written by the loop before `done` is signalled
    // and read by the caller after; the eventfd orders the two.
    let slot: Int
    let generation: UInt16
    let done: EventFD
    var head: UInt32 = 0

    init(slot: Int, generation: UInt16) throws(SystemError) {
        self.slot = slot
        self.generation = generation
        done = try EventFD()
    }
}

/// The engine's mailbox: a bounded list behind a lock plus an eventfd the
/// loop polls. Registration is rare, so a lock is the simple, right tool.
///
/// A post also wakes the loop when it sleeps outside its ring
/// (`sleep(until:)`, EngineLoop's batching sleep): the eventfd's readiness
/// would wait for the sleep's end then.
final class ControlMailbox: @unchecked Sendable {
    // @unchecked: `requests` is behind the Mutex; the eventfd and the word
    // are thread-safe.
    let event: EventFD
    private let requests = Locked<[ControlRequest]>([])
    /// Counts posts, for the loop's batching sleep to wait on.
    private let posts = WakeWord(0)

    init() throws(SystemError) {
        event = try EventFD()
    }

    func post(_ request: ControlRequest) {
        requests.withLock { $0.append(request) }
        try? event.signal()
        posts.atomic.wrappingIncrement(ordering: .releasing)
        posts.wake()
    }

    /// The loop's sleep until `end` (monotonic nanoseconds), cut short by a
    /// post. A request already waiting, or one posted at any point of the
    /// call, ends it at once: the count is read before the list is looked
    /// at, so a post after that look changes the count the futex compares.
    func sleep(until end: UInt64) {
        let seen = posts.atomic.load(ordering: .acquiring)
        guard requests.withLock({ $0.isEmpty }) else { return }
        let now = MonotonicClock.nanoseconds()
        guard end > now else { return }
        posts.wait(whileEqualTo: seen, timeoutNanoseconds: end - now)
    }

    func take() -> [ControlRequest] {
        requests.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
