import CDQNVMe
import CDQUring

/// An admin command a caller handed to the engine, on its way through the
/// loop to a transport and back.
final class PendingAdmin: @unchecked Sendable {
    // @unchecked: built by the caller, then owned by the loop thread until
    // `completion` runs there; the data buffer belongs to the caller.
    let command: NVMeCommand
    let data: UnsafeMutableRawBufferPointer?
    let transport: any AdminTransport
    let completion: @Sendable (AdminOutcome) -> Void
    /// When it was handed to the loop (for the admin timeout).
    let queuedAt = MonotonicClock.nanoseconds()
    /// Answered with a timeout while still in flight: its slot stays taken
    /// until a completion arrives, so a late one cannot be taken for the
    /// answer to a newer command in the same slot.
    var abandoned = false

    init(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, transport: any AdminTransport,
         completion: @escaping @Sendable (AdminOutcome) -> Void) {
        self.command = command
        self.data = data
        self.transport = transport
        self.completion = completion
    }
}

extension Engine {
    /// Sends an admin command through the loop and `transport`, without
    /// blocking: as `IORING_OP_URING_CMD` on the loop's ring for the kernel
    /// transport, through the doorbell for the simulator. This is how Track
    /// Send, Migration Send/Receive and Get Features travel, beside the
    /// loop's own head updates.
    ///
    /// `completion` runs on the loop thread (keep it short, never block);
    /// `data`, if any, must stay valid until it has run.
    public func submitAdmin(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, via transport: any AdminTransport,
        completion: @escaping @Sendable (AdminOutcome) -> Void
    ) throws(EngineError) {
        guard isRunning else { throw .stopped }
        shared.mailbox.post(.admin(PendingAdmin(command, data: data, transport: transport, completion: completion)))
    }

    /// `submitAdmin`, waiting for the outcome; for the cold path (attach,
    /// Track Send, suspend). Never call it from the loop thread; on a
    /// run-to-completion engine's thread it polls while it waits, and
    /// inside `poll` it is refused (`.insidePoll`).
    ///
    /// On timeout the command is still in flight, so `data` must then stay
    /// valid until the engine shuts down; a caller that cannot promise that
    /// passes no timeout.
    public func executeAdmin(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, via transport: any AdminTransport,
        timeoutNanoseconds: UInt64? = nil
    ) throws(EngineError) -> AdminOutcome {
        try refuseInsidePoll()
        let done: EventFD
        do { done = try EventFD() } catch { throw .system(error) }
        let result = Locked<AdminOutcome?>(nil)
        try submitAdmin(command, data: data, via: transport) { outcome in
            result.withLock { $0 = outcome }
            try? done.signal()
        }
        guard try waitForEngine(timeoutNanoseconds: timeoutNanoseconds, { done.wait(timeoutNanoseconds: $0) }) else {
            return .systemError(SystemError("admin command: no completion in time", errno: 110 /* ETIMEDOUT */))
        }
        return result.withLock { $0 } ?? .engineStopped
    }
}
