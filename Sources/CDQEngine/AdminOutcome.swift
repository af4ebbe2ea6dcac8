import CDQNVMe
import CDQUring

/// How an admin command sent through the engine ended.
///
/// Three different things can happen to a passthrough command: the
/// controller completes it (with a status that may be an error), the kernel
/// refuses it with an errno before or after the device, or the engine stops
/// before the command could be sent or answered.
public enum AdminOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The controller completed it; DW0 is command specific (e.g. a CDQID).
    case completed(NVMeStatus, dw0: UInt32)
    /// The kernel (or the transport) refused it.
    case systemError(SystemError)
    /// The engine shut down first; the command may or may not have run.
    case engineStopped

    /// True only for a successful completion.
    public var isSuccess: Bool {
        if case .completed(let status, _) = self { return status.isSuccess }
        return false
    }

    /// DW0 of a successful completion; otherwise the error.
    public func get() throws(AdminCommandError) -> UInt32 {
        switch self {
        case .completed(let status, let dw0) where status.isSuccess: return dw0
        case .completed(let status, _): throw .nvme(status)
        case .systemError(let error): throw .system(error)
        case .engineStopped: throw .engineStopped
        }
    }

    public var description: String {
        switch self {
        case .completed(let status, let dw0): status.isSuccess ? "success (dw0 \(dw0))" : status.description
        case .systemError(let error): error.description
        case .engineStopped: AdminCommandError.engineStopped.description
        }
    }

    /// Decodes an io_uring passthrough CQE: `res` 0 is success, > 0 an NVMe
    /// status, < 0 a negated errno; the big CQE's first word is DW0.
    init(passthrough completion: Completion) {
        let dw0 = UInt32(truncatingIfNeeded: completion.extra0)
        if completion.result >= 0 {
            self = .completed(NVMeStatus(rawValue: UInt16(truncatingIfNeeded: completion.result)), dw0: dw0)
        } else {
            self = .systemError(SystemError("admin passthrough", negatedErrno: completion.result))
        }
    }
}

/// Why an admin command sent through the engine did not succeed.
public enum AdminCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    case nvme(NVMeStatus)
    case system(SystemError)
    case engineStopped

    public var description: String {
        switch self {
        case .nvme(let status): status.description
        case .system(let error): error.description
        case .engineStopped: "the engine stopped before the admin command completed"
        }
    }
}

extension AdminCommandError: CarriesNVMeStatus {
    public var nvmeStatus: NVMeStatus? {
        if case .nvme(let status) = self { return status }
        return nil
    }
}
