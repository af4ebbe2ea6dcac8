import CDQUring
import CNBD

#if canImport(Glibc)
import Glibc
#endif

/// An NBD export as the destination of a copy, usually on another host,
/// through libnbd's asynchronous API. Named by an NBD URI:
/// `nbd://host[:port]/export`, `nbd+unix:///export?socket=PATH`, and
/// `nbds://` (TLS, when libnbd was built with GnuTLS).
///
/// No thread of its own: the copier's io_uring drives the socket (docs/migration.md).
/// `start` issues `nbd_aio_pwrite` (libnbd sends what the socket takes at
/// once and keeps the rest), `prepareWait` arms one-shot polls for what
/// libnbd waits for (`nbd_aio_get_direction`), `handle` tells libnbd the
/// socket is ready, and `reap` retires the finished commands. Up to the
/// copier's depth of writes are in flight on the one connection.
///
/// Flushes (`makeDurable`) and verification reads are libnbd's synchronous
/// calls: they happen between copies, with nothing in flight.
public final class NBDDestination {
    public let path: String
    public let byteCount: UInt64
    /// False when the server cannot flush: durability is then the server's.
    public let canFlush: Bool
    public let maximumTransferBytes: Int?
    private let connection: OpaquePointer
    /// Commands in flight, by libnbd cookie: the copier's tag and byte count.
    private var commands: [Int64: (tag: UserData, count: Int32)] = [:]
    private var readPollArmed = false
    private var writePollArmed = false
    /// A poll of the socket failed: nothing in flight can finish any more.
    private var pollFailure: Int32?
    /// libnbd's words for why the connection died, when it did.
    private var lostReason: String?

    /// How long connecting and the NBD handshake may take.
    public static let defaultConnectTimeoutNanoseconds: UInt64 = 10_000_000_000

    /// True for the URI schemes libnbd connects to (`nbd`, `nbds`, `nbd+unix`, ...).
    public static func isURI(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["nbd://", "nbds://", "nbd+", "nbds+"].contains { lowered.hasPrefix($0) } && lowered.contains("://")
    }

    /// Connects and checks the export: it must take writes and hold at
    /// least `byteCount` bytes. Nothing is written here.
    public init(
        uri: String, byteCount: UInt64, connectTimeoutNanoseconds: UInt64 = NBDDestination.defaultConnectTimeoutNanoseconds
    ) throws(MigrationError) {
        let connection = try Self.connect(uri, timeoutNanoseconds: connectTimeoutNanoseconds)
        let size = nbd_get_size(connection)
        let problem: String? =
            if size < 0 { "cannot read the size of the NBD export \(uri): \(libnbdError())" }
            else if UInt64(size) < byteCount { "the NBD export \(uri) holds \(size) bytes, fewer than the namespace's \(byteCount)" }
            else if nbd_is_read_only(connection) == 1 { "the NBD export \(uri) is read-only" }
            else { nil }
        if let problem {
            nbd_close(connection)
            throw .configuration(problem)
        }
        self.connection = connection
        path = uri
        self.byteCount = UInt64(size)
        canFlush = nbd_can_flush(connection) == 1
        maximumTransferBytes = Self.maximumRequest(connection)
    }

    deinit {
        // A polite NBD_CMD_DISC when the connection is healthy; the server keeps what it was sent.
        if commands.isEmpty && nbd_aio_is_ready(connection) == 1 { _ = nbd_shutdown(connection, 0) }
        nbd_close(connection)
    }

    /// Connects within the timeout (a server that never answers is an
    /// error, not a hang); the handle is closed on any failure.
    private static func connect(_ uri: String, timeoutNanoseconds: UInt64) throws(MigrationError) -> OpaquePointer {
        guard let connection = nbd_create() else { throw .configuration("nbd_create: \(libnbdError())") }
        do throws(MigrationError) {
            // Lets a URI name a TLS pre-shared key file (tls-psk-file=PATH).
            _ = nbd_set_uri_allow_local_file(connection, true)
            if uri.lowercased().hasPrefix("nbds") && nbd_supports_tls(connection) != 1 {
                throw .configuration("\(uri) asks for TLS, which this libnbd was built without")
            }
            guard nbd_aio_connect_uri(connection, uri) == 0 else { throw unreachable(uri) }
            let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
            while nbd_aio_is_connecting(connection) == 1 {
                let now = MonotonicClock.nanoseconds()
                guard now < deadline else {
                    throw .configuration("cannot reach the NBD server of \(uri): no answer within \(timeoutNanoseconds / 1_000_000_000) s")
                }
                guard nbd_poll(connection, Int32(min(1000, (deadline - now) / 1_000_000 + 1))) >= 0 else { throw unreachable(uri) }
            }
            guard nbd_aio_is_ready(connection) == 1 else { throw unreachable(uri) }
            return connection
        } catch {
            nbd_close(connection)
            throw error
        }
    }

    private static func unreachable(_ uri: String) -> MigrationError {
        .configuration("cannot reach the NBD server of \(uri): \(libnbdError())")
    }

    /// The server's largest request, or 32 MiB, the size the NBD protocol
    /// says every server takes, when it does not say.
    private static func maximumRequest(_ connection: OpaquePointer) -> Int {
        let advertised = nbd_get_block_size(connection, Int32(LIBNBD_SIZE_MAXIMUM))
        return advertised > 0 ? Int(min(advertised, 64 << 20)) : 32 << 20
    }
}

extension NBDDestination: CopyDestination {
    public var kind: DestinationKind { .nbd }
    /// NBD has no alignment rule of its own here: the copier's chunks are whole blocks.
    public var direct: Bool { false }

    public func start(_ transfer: Transfer, ring: IOURing, tag: UserData) throws(MigrationError) {
        let buffer = transfer.buffer
        let cookie = transfer.writing
            ? nbd_aio_pwrite(connection, buffer.baseAddress!, buffer.count, transfer.offset, cdq_nbd_no_completion(), 0)
            : nbd_aio_pread(connection, buffer.baseAddress!, buffer.count, transfer.offset, cdq_nbd_no_completion(), 0)
        guard cookie > 0 else {
            let operation = transfer.writing ? "write" : "read"
            if connectionLost {
                throw .io("\(operation) \(path) at byte \(transfer.offset) (the connection to the NBD server was lost: "
                    + "\(lostReason ?? "the server went away"))", SystemError("nbd_aio_p\(operation)", errno: ENOTCONN))
            }
            throw .io("\(operation) \(path) at byte \(transfer.offset) (\(libnbdError()))",
                      SystemError("nbd_aio_p\(operation)", errno: libnbdErrno()))
        }
        commands[cookie] = (tag, Int32(buffer.count))
    }

    /// Arms a one-shot poll for each direction libnbd waits on and no poll covers yet.
    public func prepareWait(ring: IOURing, eventKind: UInt8) throws(MigrationError) {
        guard !commands.isEmpty, pollFailure == nil else { return }
        let direction = nbd_aio_get_direction(connection)
        let descriptor = nbd_aio_get_fd(connection)
        guard descriptor >= 0 else { return }
        do {
            if direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 && !readPollArmed {
                try ring.nextSubmission().preparePoll(fd: descriptor, events: UInt32(POLLIN), UserData(kind: eventKind, index: 0))
                readPollArmed = true
            }
            if direction & UInt32(LIBNBD_AIO_DIRECTION_WRITE) != 0 && !writePollArmed {
                try ring.nextSubmission().preparePoll(fd: descriptor, events: UInt32(POLLOUT), UserData(kind: eventKind, index: 1))
                writePollArmed = true
            }
        } catch { throw .system(error) }
    }

    /// A poll fired: tell libnbd, if it still waits for that direction (a
    /// poll armed earlier may report what libnbd no longer wants).
    public func handle(_ completion: Completion) {
        let reading = completion.tag.index == 0
        if reading { readPollArmed = false } else { writePollArmed = false }
        guard completion.result > 0 else {
            if completion.result < 0 && completion.result != -ECANCELED { pollFailure = -completion.result }
            return
        }
        let events = Int16(truncatingIfNeeded: completion.result)
        let direction = nbd_aio_get_direction(connection)
        let trouble = events & Int16(POLLERR | POLLHUP) != 0
        var notified: Int32 = 0
        if reading, events & Int16(POLLIN) != 0 || trouble, direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 {
            notified = nbd_aio_notify_read(connection)
        } else if !reading, events & Int16(POLLOUT) != 0 || trouble, direction & UInt32(LIBNBD_AIO_DIRECTION_WRITE) != 0 {
            notified = nbd_aio_notify_write(connection)
        }
        if notified < 0 && lostReason == nil { lostReason = libnbdError() }
    }

    /// Retires finished commands. When the connection died (the server
    /// went away), every command still in flight fails with `ENOTCONN`.
    public func reap(_ deliver: (UserData, Int32) -> Void) {
        guard !commands.isEmpty else { return }
        while true {
            let cookie = nbd_aio_peek_command_completed(connection)
            guard cookie > 0 else { break }
            let succeeded = nbd_aio_command_completed(connection, UInt64(cookie)) == 1
            let errno = succeeded ? 0 : libnbdErrno()
            guard let command = commands.removeValue(forKey: cookie) else { continue }
            deliver(command.tag, succeeded ? command.count : -errno)
        }
        guard connectionLost, !commands.isEmpty else { return }
        let failed = commands
        commands.removeAll()
        for command in failed.values { deliver(command.tag, -(pollFailure ?? ENOTCONN)) }
    }

    private var connectionLost: Bool {
        nbd_aio_is_dead(connection) == 1 || nbd_aio_is_closed(connection) == 1 || pollFailure != nil
    }

    public func makeDurable() throws(MigrationError) {
        guard canFlush else { return }
        guard nbd_flush(connection, 0) == 0 else {
            throw .io("flush \(path) (\(libnbdError()))", SystemError("nbd_flush", errno: libnbdErrno()))
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(MigrationError) {
        guard nbd_pread(connection, buffer.baseAddress!, buffer.count, offset, 0) == 0 else {
            throw .io("read \(path) at byte \(offset) (\(libnbdError()))", SystemError("nbd_pread", errno: libnbdErrno()))
        }
    }
}

/// libnbd's message for the calling thread's last failed call.
private func libnbdError() -> String {
    nbd_get_error().map { String(cString: $0) } ?? "unknown libnbd error"
}

/// libnbd's errno for the last failed call; EIO when it has none.
private func libnbdErrno() -> Int32 {
    let errno = nbd_get_errno()
    return errno > 0 ? errno : EIO
}
