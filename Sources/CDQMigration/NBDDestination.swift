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
/// No thread of its own: the copier's io_uring drives the sockets
/// (docs/migration.md). `start` issues `nbd_aio_pwrite` (libnbd sends what
/// the socket takes at once and keeps the rest), `prepareWait` arms
/// one-shot polls for what libnbd waits for, `handle` tells libnbd a
/// socket is ready, and `reap` retires the finished commands. Up to the
/// copier's depth of writes are in flight.
///
/// When the server says that what one connection wrote every other sees
/// and flushes (NBD multi-conn), the export is written over several
/// connections, each new write on the least busy one: the server then
/// receives them in parallel. Otherwise there is one connection.
///
/// Flushes (`makeDurable`) and verification reads are libnbd's synchronous
/// calls: they happen between copies, with nothing in flight.
public final class NBDDestination {
    public let path: String
    public let byteCount: UInt64
    /// False when the server cannot flush: durability is then the server's.
    public let canFlush: Bool
    public let maximumTransferBytes: Int?
    private let connections: [NBDConnection]
    /// Held while the destination is open: one migration per export from this host.
    private let lock: NBDExportLock

    /// How many connections carry the writes.
    public var connectionCount: Int { connections.count }

    /// How long connecting and the NBD handshake may take.
    public static let defaultConnectTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// How long the server may leave sent data unacknowledged before the
    /// connection counts as lost (TCP only).
    public static let defaultUnacknowledgedMilliseconds: UInt32 = 30_000

    /// True for the URI schemes libnbd connects to (`nbd`, `nbds`, `nbd+unix`, ...).
    public static func isURI(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["nbd://", "nbds://", "nbd+", "nbds+"].contains { lowered.hasPrefix($0) } && lowered.contains("://")
    }

    /// Locks the export against other migrations from this host
    /// (`NBDExportLock`), connects and checks the export: it must take
    /// writes and hold at least `byteCount` bytes. Nothing is written here.
    /// Up to `connections` connections when the server allows multi-conn.
    public init(
        uri: String, byteCount: UInt64, connections wanted: Int = 4,
        connectTimeoutNanoseconds: UInt64 = NBDDestination.defaultConnectTimeoutNanoseconds,
        unacknowledgedMilliseconds: UInt32 = NBDDestination.defaultUnacknowledgedMilliseconds
    ) throws(MigrationError) {
        lock = try NBDExportLock(uri: uri)
        let connect = { () throws(MigrationError) in
            try NBDConnection(uri: uri, timeoutNanoseconds: connectTimeoutNanoseconds, unacknowledgedMilliseconds: unacknowledgedMilliseconds)
        }
        let first = try connect()
        let size = nbd_get_size(first.handle)
        if size < 0 { throw .configuration("cannot read the size of the NBD export \(uri): \(libnbdError())") }
        if UInt64(size) < byteCount { throw .configuration("the NBD export \(uri) holds \(size) bytes, fewer than the namespace's \(byteCount)") }
        if nbd_is_read_only(first.handle) == 1 { throw .configuration("the NBD export \(uri) is read-only") }
        var connections = [first]
        if nbd_can_multi_conn(first.handle) == 1 {
            while connections.count < wanted {
                connections.append(try connect())
            }
        }
        self.connections = connections
        path = uri
        self.byteCount = UInt64(size)
        canFlush = nbd_can_flush(first.handle) == 1
        maximumTransferBytes = Self.maximumRequest(first.handle)
    }

    /// The server's largest request, or 32 MiB, the size the NBD protocol
    /// says every server takes, when it does not say.
    private static func maximumRequest(_ handle: OpaquePointer) -> Int {
        let advertised = nbd_get_block_size(handle, Int32(LIBNBD_SIZE_MAXIMUM))
        return advertised > 0 ? Int(min(advertised, 64 << 20)) : 32 << 20
    }
}

extension NBDDestination: CopyDestination {
    public var kind: DestinationKind { .nbd }
    /// NBD has no alignment rule of its own here: the copier's chunks are whole blocks.
    public var direct: Bool { false }

    /// Starts `transfer` on the connection with the fewest commands in flight.
    public func start(_ transfer: Transfer, ring: IOURing, tag: UserData) throws(MigrationError) {
        let connection = connections.min { $0.inFlight < $1.inFlight }!
        try connection.start(transfer, tag: tag, name: path)
    }

    /// Polls are tagged with their connection and direction: index `2 * connection + (reading ? 0 : 1)`.
    public func prepareWait(ring: IOURing, eventKind: UInt8) throws(MigrationError) {
        for (index, connection) in connections.enumerated() {
            try connection.armPolls(ring) { reading in UserData(kind: eventKind, index: UInt32(2 * index + (reading ? 0 : 1))) }
        }
    }

    public func handle(_ completion: Completion) {
        let index = Int(completion.tag.index)
        guard index / 2 < connections.count else { return }
        connections[index / 2].pollFired(reading: index % 2 == 0, result: completion.result)
    }

    public func reap(_ deliver: (UserData, Int32) -> Void) {
        for connection in connections { connection.reap(deliver) }
    }

    /// Flushes every connection: with multi-conn one would do, but a
    /// flush of an idle connection costs one round trip.
    public func makeDurable() throws(MigrationError) {
        guard canFlush else { return }
        for connection in connections where nbd_flush(connection.handle, 0) != 0 {
            throw .io("flush \(path) (\(libnbdError()))", SystemError("nbd_flush", errno: libnbdErrno()))
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(MigrationError) {
        guard nbd_pread(connections[0].handle, buffer.baseAddress!, buffer.count, offset, 0) == 0 else {
            throw .io("read \(path) at byte \(offset) (\(libnbdError()))", SystemError("nbd_pread", errno: libnbdErrno()))
        }
    }
}
