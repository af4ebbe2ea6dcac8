import CDQNVMe
import CDQUring

/// How one passthrough command ended.
///
/// io_uring reports three different things in `cqe->res`: 0 for success, a
/// positive 15-bit NVMe status when the controller rejected the command,
/// and `-errno` when the kernel refused it before or after the device.
public enum CommandOutcome: Sendable, Equatable {
    /// The controller completed it; DW0 is command specific (e.g. a new CDQID).
    case success(dw0: UInt32)
    /// The controller rejected it with this status.
    case nvmeError(NVMeStatus, dw0: UInt32)
    /// The kernel rejected it.
    case systemError(SystemError)

    init(_ completion: Completion) {
        let dw0 = UInt32(truncatingIfNeeded: completion.extra0)
        if completion.result == 0 {
            self = .success(dw0: dw0)
        } else if completion.result > 0 {
            self = .nvmeError(NVMeStatus(rawValue: UInt16(truncatingIfNeeded: completion.result)), dw0: dw0)
        } else {
            self = .systemError(SystemError("NVMe passthrough", negatedErrno: completion.result))
        }
    }

    /// DW0 on success; otherwise the typed error.
    public func get() throws(PassthroughError) -> UInt32 {
        switch self {
        case .success(let dw0): return dw0
        case .nvmeError(let status, _): throw .nvme(status)
        case .systemError(let error): throw PassthroughError.system(error)
        }
    }
}

/// Why a passthrough command did not succeed.
public enum PassthroughError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The controller answered with an error status, e.g. Invalid Command Opcode.
    case nvme(NVMeStatus)
    /// A system call failed (the ring, the submission, or the kernel's NVMe layer).
    case system(SystemError)
    /// The data buffer does not fit the command; nothing was submitted.
    case dataBuffer(String)
    /// Every slot holds a command in flight; complete some first.
    case queueFull(depth: Int)
    /// The blocking convenience cannot run while asynchronous commands are in flight.
    case busy(inFlight: Int)

    public var description: String {
        switch self {
        case .nvme(let status): status.description
        case .system(let error) where error.errno == 95 /* EOPNOTSUPP */:
            "\(error) - the file does not accept NVMe uring_cmd passthrough (needs an NVMe character device and Linux 5.19 or later)"
        case .system(let error): error.description
        case .dataBuffer(let why): "data buffer rejected: \(why)"
        case .queueFull(let depth): "all \(depth) passthrough slots are in flight"
        case .busy(let inFlight): "\(inFlight) asynchronous commands are in flight; a blocking command must wait for them"
        }
    }
}

extension PassthroughError: CarriesNVMeStatus {
    public var nvmeStatus: NVMeStatus? {
        if case .nvme(let status) = self { return status }
        return nil
    }
}
