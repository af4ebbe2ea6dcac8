import CDQUring

/// What kind of place a copy writes to; `cdqctl migrate --json` prints the raw value.
public enum DestinationKind: String, Sendable {
    case file
    case blockDevice = "block_device"
    /// An NBD export, usually on another host (`NBDDestination`).
    case nbd
}

/// One positional transfer a `Copier` asks a side of a copy to start.
public struct Transfer {
    public var writing: Bool
    public var buffer: UnsafeMutableRawBufferPointer
    public var offset: UInt64
    /// The index of `buffer` among the ring's registered buffers, if it is one.
    public var fixedBuffer: Int?
}

/// Where a copy goes: a file or block device (`BlockFile`) or an NBD
/// export (`NBDDestination`). The copier drives it from its one thread and
/// its one io_uring, so a destination needs no thread of its own: a local
/// file's transfers are entries of that ring; a socket's are started by
/// the destination, which asks the ring to poll its socket (`prepareWait`)
/// and hands finished transfers back through `reap`.
///
/// Not Sendable: it belongs to the thread that copies.
public protocol CopyDestination: AnyObject {
    /// The path or URI messages name.
    var path: String { get }
    var kind: DestinationKind { get }
    /// Bytes addressable; at least the namespace's.
    var byteCount: UInt64 { get }
    /// True when every transfer must be aligned to `BlockFile.directAlignment`.
    var direct: Bool { get }
    /// The largest single transfer it takes, or nil for no limit.
    var maximumTransferBytes: Int? { get }

    /// Starts `transfer`. It finishes later, as a completion of `ring`
    /// tagged `tag` or through `reap`, with the bytes moved or `-errno`.
    func start(_ transfer: Transfer, ring: IOURing, tag: UserData) throws(MigrationError)
    /// Called before the copier waits on `ring`: submit whatever the
    /// destination waits for (a poll of its socket), tagged with `eventKind`.
    func prepareWait(ring: IOURing, eventKind: UInt8) throws(MigrationError)
    /// A completion of `ring` tagged with `eventKind`.
    func handle(_ completion: Completion)
    /// Hands over transfers finished outside the ring since the last call.
    func reap(_ deliver: (UserData, Int32) -> Void)
    /// Makes everything written so far durable (`fdatasync`; an NBD flush).
    func makeDurable() throws(MigrationError)
    /// Reads `buffer.count` bytes at `offset`, synchronously: verification
    /// reads back through the same path the copy wrote.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(MigrationError)
}

/// Opens the destination a user named: an NBD URI (`nbd://`, `nbds://`,
/// `nbd+unix://`, ...) or the path of a regular file (created, sized to
/// `byteCount`) or block device (at least `byteCount` bytes).
public func openDestination(_ name: String, byteCount: UInt64, preferDirect: Bool) throws(MigrationError) -> any CopyDestination {
    if NBDDestination.isURI(name) { return try NBDDestination(uri: name, byteCount: byteCount) }
    do {
        return try BlockFile(path: name, access: .write(byteCount: byteCount), preferDirect: preferDirect)
    } catch { throw .system(error) }
}
