import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Why a migration stopped. Every case says what failed and where, and
/// what state the source controller was left in when that matters.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// A setting that cannot work (names the setting).
    case configuration(String)
    /// A system call outside the data path failed.
    case system(SystemError)
    /// A read of the source or a write of the destination failed (names
    /// the file and byte offset).
    case io(String, SystemError)
    /// The controller refused a step (start logging, suspend); the text
    /// names the command, the status, and what was undone.
    case controller(String)
    /// The controller answered a step with an error status: the text names
    /// the command and what was undone, the status is kept as sent.
    case refused(String, NVMeStatus)
    /// Source and destination differ after the copy.
    case verification(String)
    /// `Migrator.cancel()` was called (e.g. on Ctrl-C).
    case cancelled
    /// A record could not be applied exactly and `onUntrusted` is `.abort`
    /// (names the kind).
    case untrusted(String)
    /// The engine lost the controller's queue before the final copy was
    /// done (names why): the destination is incomplete.
    case queueLost(String)
    /// A migration step failed and the controller side was put back:
    /// `undone` says how (resumed, logging stopped, queue deleted).
    indirect case abandoned(MigrationError, undone: String)

    /// The failure itself, without what was undone.
    public var cause: MigrationError {
        if case .abandoned(let cause, _) = self { return cause.cause }
        return self
    }

    public var description: String {
        switch self {
        case .configuration(let problem): problem
        case .system(let error): error.description
        case .io(let place, let error): "\(place): \(error.errnoName) (\(String(cString: strerror(error.errno))))"
        case .controller(let problem): problem
        case .refused(let problem, _): problem
        case .verification(let problem): "verification failed: \(problem)"
        case .cancelled: "the migration was cancelled"
        case .untrusted(let kind): "an untrusted entry (\(kind)) and --on-untrusted abort: the destination is incomplete"
        case .queueLost(let why): "the controller's queue was lost (\(why)): the destination is incomplete"
        case .abandoned(let cause, let undone): "\(cause); \(undone)"
        }
    }
}

extension MigrationError: CarriesNVMeStatus {
    /// The controller's status when the migration (or the step whose
    /// failure abandoned it) was refused by the controller.
    public var nvmeStatus: NVMeStatus? {
        switch self {
        case .refused(_, let status): status
        case .abandoned(let cause, _): cause.nvmeStatus
        default: nil
        }
    }
}
