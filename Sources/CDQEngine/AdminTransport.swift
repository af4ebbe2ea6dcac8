import CDQNVMe
import CDQUring

/// How the engine's loop sends admin commands to a controller without
/// blocking: a queue's head updates (Set Features FID 0x21) and the
/// commands callers hand to `Engine.submitAdmin` (Track Send, Migration
/// Send/Receive, Get Features). The one thing a backend must provide to the loop.
///
/// Two shapes exist. The kernel backend prepares an `IORING_OP_URING_CMD`
/// on the loop's own ring; its completion comes back as a CQE carrying the
/// tag (`completionEventFD` is nil). The simulator pushes into its doorbell
/// ring; the loop polls `completionEventFD` and calls `reapCompletions`.
///
/// All methods are called on the loop thread only.
public protocol AdminTransport: AnyObject {
    /// Queues `command` with its data buffer (nil for none; it stays valid
    /// until the completion); false when the transport is full (retried later).
    func submit(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, tag: UInt64, ring: IOURing) throws(SystemError) -> Bool
    /// Called once per loop turn after submits (e.g. one doorbell for a batch).
    func flush()
    /// An eventfd signalled when completions are waiting, or nil when they
    /// arrive as CQEs on the loop's ring.
    var completionEventFD: Int32? { get }
    /// Hands over completions that arrived behind `completionEventFD`.
    func reapCompletions(_ body: (_ tag: UInt64, _ status: NVMeStatus, _ dw0: UInt32) -> Void)
}
