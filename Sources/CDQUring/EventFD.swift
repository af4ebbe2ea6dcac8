import CCDQ

#if canImport(Glibc)
import Glibc
#endif

/// A Linux eventfd: a 64-bit counter the kernel can poll.
///
/// It is how a CDQ's tail pointer trigger reaches user space (the RFC kernel
/// signals the eventfd registered for the queue), and how the simulator and
/// consumers signal the engine's loop. Created non-blocking and close-on-exec:
/// the loop must never block on a read.
public final class EventFD: @unchecked Sendable {
    // @unchecked: the descriptor is immutable after init and eventfd reads and
    // writes are atomic in the kernel, so any thread may signal or drain it.
    public let fileDescriptor: Int32

    public init(initialValue: UInt32 = 0) throws(SystemError) {
        let fd = eventfd(initialValue, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        if fd < 0 { throw SystemError("eventfd", errno: currentErrno()) }
        fileDescriptor = fd
    }

    /// Shares an eventfd someone else created (as the RFC kernel takes a
    /// reference to the `tpt_fd` it is given): a duplicate descriptor that
    /// stays valid whatever the owner does with the original.
    public init(duplicating fd: Int32) throws(SystemError) {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        if copy < 0 { throw SystemError("dup eventfd \(fd)", errno: currentErrno()) }
        fileDescriptor = copy
    }

    deinit { close(fileDescriptor) }

    /// Adds `value` to the counter, waking pollers.
    public func signal(_ value: UInt64 = 1) throws(SystemError) {
        var value = value
        let written = write(fileDescriptor, &value, 8)
        if written != 8 { throw SystemError("eventfd write", errno: currentErrno()) }
    }

    /// Reads and resets the counter; 0 when nothing was signalled.
    ///
    /// A poll on an eventfd keeps reporting readiness while the counter is
    /// non-zero, so every wake-up must be followed by a drain.
    @discardableResult
    public func drain() throws(SystemError) -> UInt64 {
        var value: UInt64 = 0
        let got = read(fileDescriptor, &value, 8)
        if got == 8 { return value }
        let error = currentErrno()
        if error == EAGAIN { return 0 }
        throw SystemError("eventfd read", errno: error)
    }

    /// Blocks until the counter is non-zero or `timeoutNanoseconds` pass
    /// (nil: no limit), then resets it; true when it was signalled. The one
    /// blocking wait of the project's threads: callers that sleep on an
    /// eventfd (a consumer, a client of the simulator, the controller
    /// thread, a caller of the engine) all come through here.
    @discardableResult
    public func wait(timeoutNanoseconds: UInt64? = nil) -> Bool {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let timeout = timeoutNanoseconds.map { Int32(clamping: ($0 + 999_999) / 1_000_000) } ?? -1
        while poll(&descriptor, 1, timeout) < 0 && currentErrno() == EINTR {}
        return ((try? drain()) ?? 0) > 0
    }
}
