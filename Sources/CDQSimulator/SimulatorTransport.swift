import CDQEngine
import CDQNVMe
import CDQUring

/// The engine's admin path into the simulator: the loop thread pushes
/// commands (head updates and others) into an `AdminChannel` and rings the doorbell once per
/// turn; it polls the channel's completion eventfd on its ring.
///
/// Used by one engine loop thread only (the channel is its SPSC client side).
public final class SimulatorTransport: AdminTransport {
    public let channel: AdminChannel
    private var rang = true

    public init(channel: AdminChannel) {
        self.channel = channel
    }

    public func submit(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, tag: UInt64, ring: IOURing) throws(SystemError) -> Bool {
        guard channel.submit(AdminRequest(command, data: data), tag: tag) else { return false }
        rang = false
        return true
    }

    public func flush() {
        guard !rang else { return }
        channel.ringDoorbell()
        rang = true
    }

    public var completionEventFD: Int32? { channel.completionEvent.fileDescriptor }

    public func reapCompletions(_ body: (UInt64, NVMeStatus, UInt32) -> Void) {
        channel.reap { tag, completion in body(tag, completion.status, completion.dw0) }
    }
}
