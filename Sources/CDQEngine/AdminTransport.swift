import CDQNVMe
import CDQUring

/// How the engine's loop sends a queue's head updates (Set Features FID
/// 0x21) to its controller, without blocking: the one thing a backend must
/// provide to the loop.
///
/// Two shapes exist. The kernel backend prepares an `IORING_OP_URING_CMD`
/// on the loop's own ring; its completion comes back as a CQE carrying the
/// tag (`completionEventFD` is nil). The simulator pushes into its doorbell
/// ring; the loop polls `completionEventFD` and calls `reapCompletions`.
///
/// All methods are called on the loop thread only.
public protocol AdminTransport: AnyObject {
    /// Queues `command`; false when the transport is full (retried next turn).
    func submit(_ command: NVMeCommand, tag: UInt64, ring: IOURing) throws(SystemError) -> Bool
    /// Called once per loop turn after submits (e.g. one doorbell for a batch).
    func flush()
    /// An eventfd signalled when completions are waiting, or nil when they
    /// arrive as CQEs on the loop's ring.
    var completionEventFD: Int32? { get }
    /// Hands over completions that arrived behind `completionEventFD`.
    func reapCompletions(_ body: (_ tag: UInt64, _ status: NVMeStatus) -> Void)
}
