import CDQEngine
import CDQNVMe
import CDQUring

/// The engine's admin path to a real controller: head updates (Set
/// Features FID 0x21), Track Send, Migration Send/Receive, each as `IORING_OP_URING_CMD` (`NVME_URING_CMD_ADMIN`) on the engine's
/// own ring. The completion comes back as a CQE on that ring, so there is
/// no eventfd to poll and nothing to reap here.
///
/// Needs a controller device (`/dev/nvmeN`) and Linux 5.19 or later; used
/// by the engine's loop thread only.
public final class KernelTransport: AdminTransport {
    public let controller: NVMeCharacterDevice

    public init(controller: NVMeCharacterDevice) {
        precondition(controller.kind == .controller, "head updates go to the controller device, /dev/nvmeN")
        self.controller = controller
    }

    public func submit(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, tag: UInt64, ring: IOURing) throws(SystemError) -> Bool {
        let sqe = try ring.nextSubmission()
        sqe.prepareUringCommand(fd: controller.fileDescriptor, commandOp: controller.uringCommandOp, UserData(rawValue: tag)) { area in
            UringCommandImage.write(command, data: data, timeoutMilliseconds: 0, to: area)
        }
        return true
    }

    public func flush() {}

    public var completionEventFD: Int32? { nil }

    public func reapCompletions(_ body: (UInt64, NVMeStatus, UInt32) -> Void) {}
}
