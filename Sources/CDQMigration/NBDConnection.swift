import CDQUring
import CNBD

#if canImport(Glibc)
import Glibc
#endif

/// One libnbd handle, connected to an NBD server, driven by its owner's
/// io_uring (`NBDDestination` explains the scheme): commands started with
/// `start`, polls armed with `armPolls`, readiness passed on with
/// `pollFired`, finished commands retired with `reap`.
final class NBDConnection {
    let handle: OpaquePointer
    /// Commands in flight, by libnbd cookie: the copier's tag and byte count.
    private var commands: [Int64: (tag: UserData, count: Int32)] = [:]
    private var readPollArmed = false
    private var writePollArmed = false
    /// A poll of the socket failed: nothing in flight can finish any more.
    private var pollFailure: Int32?
    /// libnbd's words for why the connection died, when it did.
    private var lostReason: String?

    var inFlight: Int { commands.count }

    /// Connects within the timeout (a server that never answers is an
    /// error, not a hang); the handle is closed on any failure. Over TCP,
    /// data the server leaves unacknowledged for `unacknowledgedMilliseconds`
    /// ends the connection (`TCP_USER_TIMEOUT`): a host that vanishes fails
    /// the copy then, not after TCP's quarter of an hour of retries.
    init(uri: String, timeoutNanoseconds: UInt64, unacknowledgedMilliseconds: UInt32) throws(MigrationError) {
        guard let handle = nbd_create() else { throw .configuration("nbd_create: \(libnbdError())") }
        do throws(MigrationError) {
            // Lets a URI name a TLS pre-shared key file (tls-psk-file=PATH).
            _ = nbd_set_uri_allow_local_file(handle, true)
            if uri.lowercased().hasPrefix("nbds") && nbd_supports_tls(handle) != 1 {
                throw .configuration("\(uri) asks for TLS, which this libnbd was built without")
            }
            guard nbd_aio_connect_uri(handle, uri) == 0 else { throw Self.unreachable(uri) }
            let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
            while nbd_aio_is_connecting(handle) == 1 {
                let now = MonotonicClock.nanoseconds()
                guard now < deadline else {
                    throw .configuration("cannot reach the NBD server of \(uri): no answer within \(timeoutNanoseconds / 1_000_000) ms")
                }
                guard nbd_poll(handle, Int32(min(1000, (deadline - now) / 1_000_000 + 1))) >= 0 else { throw Self.unreachable(uri) }
            }
            guard nbd_aio_is_ready(handle) == 1 else { throw Self.unreachable(uri) }
            var timeout = unacknowledgedMilliseconds
            // Refused by Unix sockets, which need no such bound.
            _ = setsockopt(nbd_aio_get_fd(handle), Int32(IPPROTO_TCP), tcpUserTimeout, &timeout, socklen_t(MemoryLayout<UInt32>.size))
        } catch {
            nbd_close(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        // A polite NBD_CMD_DISC when the connection is healthy; the server keeps what it was sent.
        if commands.isEmpty && nbd_aio_is_ready(handle) == 1 { _ = nbd_shutdown(handle, 0) }
        nbd_close(handle)
    }

    private static func unreachable(_ uri: String) -> MigrationError {
        .configuration("cannot reach the NBD server of \(uri): \(libnbdError())")
    }

    /// The connection died (the server went away, or its socket failed).
    var lost: Bool { nbd_aio_is_dead(handle) == 1 || nbd_aio_is_closed(handle) == 1 || pollFailure != nil }

    /// Issues a write or read of `transfer`; `name` is the export's URI, for messages.
    func start(_ transfer: Transfer, tag: UserData, name: String) throws(MigrationError) {
        let buffer = transfer.buffer
        let cookie = transfer.writing
            ? nbd_aio_pwrite(handle, buffer.baseAddress!, buffer.count, transfer.offset, cdq_nbd_no_completion(), 0)
            : nbd_aio_pread(handle, buffer.baseAddress!, buffer.count, transfer.offset, cdq_nbd_no_completion(), 0)
        guard cookie > 0 else {
            let operation = transfer.writing ? "write" : "read"
            if lost {
                throw .io("\(operation) \(name) at byte \(transfer.offset) (the connection to the NBD server was lost: "
                    + "\(lostReason ?? "the server went away"))", SystemError("nbd_aio_p\(operation)", errno: ENOTCONN))
            }
            throw .io("\(operation) \(name) at byte \(transfer.offset) (\(libnbdError()))",
                      SystemError("nbd_aio_p\(operation)", errno: libnbdErrno()))
        }
        commands[cookie] = (tag, Int32(buffer.count))
    }

    /// Arms a one-shot poll for each direction libnbd waits on and no poll
    /// covers yet; `tag(reading)` tags it.
    func armPolls(_ ring: IOURing, tag: (_ reading: Bool) -> UserData) throws(MigrationError) {
        guard !commands.isEmpty, pollFailure == nil else { return }
        let direction = nbd_aio_get_direction(handle)
        let descriptor = nbd_aio_get_fd(handle)
        guard descriptor >= 0 else { return }
        do {
            if direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 && !readPollArmed {
                try ring.nextSubmission().preparePoll(fd: descriptor, events: UInt32(POLLIN), tag(true))
                readPollArmed = true
            }
            if direction & UInt32(LIBNBD_AIO_DIRECTION_WRITE) != 0 && !writePollArmed {
                try ring.nextSubmission().preparePoll(fd: descriptor, events: UInt32(POLLOUT), tag(false))
                writePollArmed = true
            }
        } catch { throw .system(error) }
    }

    /// A poll finished with `result` (revents or `-errno`): tell libnbd, if
    /// it still waits for that direction (a poll armed earlier may report
    /// what libnbd no longer wants).
    func pollFired(reading: Bool, result: Int32) {
        if reading { readPollArmed = false } else { writePollArmed = false }
        guard result > 0 else {
            if result < 0 && result != -ECANCELED { pollFailure = -result }
            return
        }
        let events = Int16(truncatingIfNeeded: result)
        let direction = nbd_aio_get_direction(handle)
        let trouble = events & Int16(POLLERR | POLLHUP) != 0
        var notified: Int32 = 0
        if reading, events & Int16(POLLIN) != 0 || trouble, direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 {
            notified = nbd_aio_notify_read(handle)
        } else if !reading, events & Int16(POLLOUT) != 0 || trouble, direction & UInt32(LIBNBD_AIO_DIRECTION_WRITE) != 0 {
            notified = nbd_aio_notify_write(handle)
        }
        if notified < 0 && lostReason == nil { lostReason = libnbdError() }
    }

    /// Retires finished commands. When the connection died, every command
    /// still in flight fails with `ENOTCONN`.
    func reap(_ deliver: (UserData, Int32) -> Void) {
        guard !commands.isEmpty else { return }
        while true {
            let cookie = nbd_aio_peek_command_completed(handle)
            guard cookie > 0 else { break }
            let succeeded = nbd_aio_command_completed(handle, UInt64(cookie)) == 1
            let errno = succeeded ? 0 : libnbdErrno()
            guard let command = commands.removeValue(forKey: cookie) else { continue }
            deliver(command.tag, succeeded ? command.count : -errno)
        }
        guard lost, !commands.isEmpty else { return }
        let failed = commands
        commands.removeAll()
        for command in failed.values { deliver(command.tag, -(pollFailure ?? ENOTCONN)) }
    }
}

/// `TCP_USER_TIMEOUT` from `<netinet/tcp.h>`, which Swift's Glibc module lacks.
private let tcpUserTimeout: Int32 = 18

/// libnbd's message for the calling thread's last failed call.
func libnbdError() -> String {
    nbd_get_error().map { String(cString: $0) } ?? "unknown libnbd error"
}

/// libnbd's errno for the last failed call; EIO when it has none.
func libnbdErrno() -> Int32 {
    let errno = nbd_get_errno()
    return errno > 0 ? errno : EIO
}
