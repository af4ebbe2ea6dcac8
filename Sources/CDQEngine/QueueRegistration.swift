import CDQUring

/// A queue handed to the engine: its memory, its eventfd, how to send its
/// head updates, and where its entries go.
///
/// The queue must already exist on the controller (created on zeroed
/// memory); `head` and `phase` say where the engine starts reading (0 and
/// true for a new queue). The memory must stay valid until `unregister`
/// returns: the engine reads it from its loop thread until then.
public struct QueueRegistration: @unchecked Sendable {
    // @unchecked: the memory and the transport are handed to the loop
    // thread and used only there until unregister returns.
    public var memory: UnsafeMutableRawPointer
    public var entryCount: UInt32
    public var cdqid: UInt16
    /// The eventfd the controller signals for the tail pointer trigger.
    public var eventFD: EventFD
    public var transport: any AdminTransport
    public var consumer: Consumer
    public var head: UInt32
    public var phase: Bool
    /// The namespaces the queue's entries may name; nil checks only each
    /// entry's shape. Entries outside it are delivered as `.problem` records.
    public var scope: QueueScope?
    /// The queue's migratable controller and device, for log metadata and
    /// metric dimensions (the CDQID is always there).
    public var cntlid: UInt16?
    public var device: String?

    var labels: QueueLabels { QueueLabels(cdqid: cdqid, cntlid: cntlid, device: device) }

    public init(
        memory: UnsafeMutableRawPointer, entryCount: UInt32, cdqid: UInt16, eventFD: EventFD,
        transport: any AdminTransport, consumer: Consumer, head: UInt32 = 0, phase: Bool = true,
        scope: QueueScope? = nil
    ) {
        precondition(entryCount >= 2, "a CDQ has at least two entries")
        precondition(head < entryCount, "the head must lie inside the queue")
        self.memory = memory
        self.entryCount = entryCount
        self.cdqid = cdqid
        self.eventFD = eventFD
        self.transport = transport
        self.consumer = consumer
        self.head = head
        self.phase = phase
        self.scope = scope
    }
}

/// Names a registered queue; stale once the queue is unregistered.
public struct QueueHandle: Hashable, Sendable {
    /// The engine's slot for the queue; also `CDQRecord.queue`.
    public let index: UInt32
    let generation: UInt16
}

/// Why the engine refused a request.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooManyQueues(maximum: Int)
    case unknownQueue
    /// A consumer's ring has one producer: it cannot serve two engines.
    case consumerOfAnotherEngine
    case stopped
    case system(SystemError)
    /// `poll` on an engine with its own loop thread.
    case notRunToCompletion
    /// `poll` on a thread other than the one that made the engine.
    case wrongThread
    /// A call that waits for the engine, made inside its own `poll` (the
    /// record handler or a callback): it would wait for itself.
    case insidePoll

    public var description: String {
        switch self {
        case .tooManyQueues(let maximum): "the engine already holds its maximum of \(maximum) queues"
        case .unknownQueue: "no such queue is registered (already unregistered?)"
        case .consumerOfAnotherEngine: "this consumer already receives entries from another engine"
        case .stopped: "the engine has been shut down"
        case .system(let error): error.description
        case .notRunToCompletion: "this engine has its own loop thread; only a run-to-completion engine is polled"
        case .wrongThread: "a run-to-completion engine is polled only by the thread that created it"
        case .insidePoll: "called inside poll (the record handler or a callback) and would wait for the engine itself; call it after poll returns"
        }
    }
}
