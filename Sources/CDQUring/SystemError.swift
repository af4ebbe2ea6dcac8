#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, and the errno it returned.
///
/// Every syscall failure in the project becomes one of these, so a user sees
/// `io_uring_queue_init: EINVAL (Invalid argument)` rather than a bare number.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `open /dev/nvme0` or `io_uring_submit`.
    public let operation: String
    /// The positive errno value.
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// Builds an error from liburing's convention of returning `-errno`.
    public init(_ operation: String, negatedErrno: Int32) {
        self.init(operation, errno: -negatedErrno)
    }

    /// The symbolic name, e.g. `ENOTTY`; `errno 200` for values without one.
    public var errnoName: String { SystemError.name(of: errno) }

    public var description: String {
        "\(operation): \(errnoName) (\(String(cString: strerror(errno))))"
    }

    /// Names of the errno values a storage tool meets; others print as numbers.
    public static func name(of errno: Int32) -> String {
        switch errno {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case ESRCH: "ESRCH"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case ENXIO: "ENXIO"
        case E2BIG: "E2BIG"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case ENODEV: "ENODEV"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case ENOTTY: "ENOTTY"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case ERANGE: "ERANGE"
        case ENOSYS: "ENOSYS"
        case ENOTSUP: "EOPNOTSUPP"
        case ECANCELED: "ECANCELED"
        case ETIME: "ETIME"
        case ETIMEDOUT: "ETIMEDOUT"
        case EALREADY: "EALREADY"
        case EOVERFLOW: "EOVERFLOW"
        case EBADFD: "EBADFD"
        case ENOBUFS: "ENOBUFS"
        case EPIPE: "EPIPE"
        case ENOTCONN: "ENOTCONN"
        case ECONNRESET: "ECONNRESET"
        case ECONNREFUSED: "ECONNREFUSED"
        default: "errno \(errno)"
        }
    }
}

/// Reads the calling thread's errno (Glibc's `errno` is a thread-local macro).
@inline(__always)
public func currentErrno() -> Int32 { Glibc.errno }
