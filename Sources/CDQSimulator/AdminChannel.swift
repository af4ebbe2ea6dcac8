import Atomics
import CDQQueues
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// One client's doorbell on the simulated managing controller.
///
/// Commands go in through a bounded lock-free submission ring and a ring of
/// the controller's doorbell eventfd; completions come back through a
/// completion ring and `completionEvent`, which an io_uring loop can poll
/// like any eventfd. One client thread uses a channel; the controller
/// thread is the other side of both rings (so each ring is SPSC).
public final class AdminChannel: @unchecked Sendable {
    // @unchecked: the rings are SPSC by contract (client thread / controller
    // thread); `inFlight` is touched by the client thread only.

    /// Commands a client may have outstanding; bounds both rings.
    public let depth: Int
    /// Signalled by the controller after it pushed completions.
    public let completionEvent: EventFD
    let submissions: SPSCRing<AdminSubmission>
    let completions: SPSCRing<AdminCompletionEntry>
    private let doorbell: EventFD
    /// Client side: submitted and not yet reaped.
    public private(set) var inFlight = 0
    private let rings = ManagedAtomic<UInt64>(0)
    private let completed = ManagedAtomic<UInt64>(0)

    /// Doorbell signals so far (each one eventfd write), readable from any thread.
    public var doorbellRings: UInt64 { rings.load(ordering: .relaxed) }

    /// Commands of this channel the controller completed so far, readable
    /// from any thread: this client's share of the admin queue's work.
    public var commandsCompleted: UInt64 { completed.load(ordering: .relaxed) }

    /// The controller thread pushed one completion.
    func countCompleted() { completed.wrappingIncrement(ordering: .relaxed) }

    init(depth: Int, doorbell: EventFD) throws(SystemError) {
        precondition(depth > 0, "an admin channel needs a positive depth")
        self.depth = depth
        self.doorbell = doorbell
        submissions = SPSCRing(capacity: depth)
        completions = SPSCRing(capacity: depth)
        completionEvent = try EventFD()
    }

    /// Queues a command; false when `depth` commands are already in flight.
    /// Nothing happens until `ringDoorbell()`, so a batch costs one signal.
    public func submit(_ request: AdminRequest, tag: UInt64) -> Bool {
        guard inFlight < depth, submissions.tryPush(AdminSubmission(request: request, tag: tag)) else { return false }
        inFlight += 1
        return true
    }

    /// Tells the controller thread that submissions are waiting.
    public func ringDoorbell() {
        rings.wrappingIncrement(ordering: .relaxed)
        try? doorbell.signal()
    }

    /// Hands every available completion to `body`; returns how many.
    /// Does not read `completionEvent`: the caller drains it when it polls it.
    @discardableResult
    public func reap(_ body: (_ tag: UInt64, _ completion: AdminCompletion) -> Void) -> Int {
        var reaped = 0
        while let entry = completions.tryPop() {
            inFlight -= 1
            reaped += 1
            body(entry.tag, entry.completion)
        }
        return reaped
    }

    /// Runs one command and blocks until it completes: the synchronous
    /// path of today's tools (one blocking admin command per head update),
    /// which the benchmark's baseline uses. Needs no other command in flight.
    public func execute(_ request: AdminRequest) -> AdminCompletion {
        precondition(inFlight == 0, "execute needs an idle channel: \(inFlight) commands in flight")
        precondition(submit(request, tag: 0), "an idle channel always takes a command")
        ringDoorbell()
        var result: AdminCompletion?
        while result == nil {
            waitForCompletionEvent()
            reap { _, completion in result = completion }
        }
        return result!
    }

    /// Blocks until `completionEvent` is readable, then resets it.
    public func waitForCompletionEvent() {
        completionEvent.wait()
    }
}

/// A command on its way to the controller thread.
struct AdminSubmission: BitwiseCopyable {
    var request: AdminRequest
    var tag: UInt64
}

/// A completion on its way back, with the submitter's tag.
struct AdminCompletionEntry: BitwiseCopyable {
    var tag: UInt64
    var completion: AdminCompletion
}
