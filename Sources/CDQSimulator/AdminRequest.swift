import CDQNVMe

/// One admin command for the simulated managing controller: the same
/// 64-byte command image the kernel path sends, plus what the kernel path
/// carries beside it (the data buffer, and for Create CDQ the RFC ioctl's
/// `tpt_fd`).
public struct AdminRequest: @unchecked Sendable, BitwiseCopyable {
    // @unchecked: `data` points into memory the submitter keeps alive and
    // does not touch until the completion arrives, as with a DMA buffer.
    public var command: NVMeCommand
    /// The command's data: Create CDQ's queue memory, Get Features or
    /// Migration Receive output, ... nil when the command has none.
    public var data: UnsafeMutableRawBufferPointer?
    /// Create CDQ only: the eventfd the tail pointer trigger signals, or -1.
    /// The controller keeps its own reference; the caller may close its copy.
    public var tailPointerEventFD: Int32

    public init(_ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, tailPointerEventFD: Int32 = -1) {
        self.command = command
        self.data = data
        self.tailPointerEventFD = tailPointerEventFD
    }
}

/// How an admin command completed: status and completion DW0.
public struct AdminCompletion: Sendable, Equatable, BitwiseCopyable {
    public var status: NVMeStatus
    public var dw0: UInt32

    public init(status: NVMeStatus, dw0: UInt32 = 0) {
        self.status = status
        self.dw0 = dw0
    }

    public static let success = AdminCompletion(status: .success)

    /// A rejection: validation failures are final, so DNR is set.
    static func reject(_ status: NVMeStatus) -> AdminCompletion {
        AdminCompletion(status: status.withDoNotRetry(true))
    }
}
