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
final class ControlMailbox: @unchecked Sendable {
    // @unchecked: `requests` is behind the Mutex; the eventfd is thread-safe.
    let event: EventFD
    private let requests = Locked<[ControlRequest]>([])

    init() throws(SystemError) {
        event = try EventFD()
    }

    func post(_ request: ControlRequest) {
        requests.withLock { $0.append(request) }
        try? event.signal()
    }

    func take() -> [ControlRequest] {
        requests.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
