import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Where a simulated namespace keeps its logical blocks.
public enum NamespaceBacking: Sendable, Hashable {
    /// Anonymous private memory reserved lazily (`MAP_NORESERVE`): a 1 GiB
    /// namespace costs only the pages written. Gone when the namespace is.
    case memory
    /// A sparse file of exactly `capacity * lbaSize` bytes, created when
    /// missing (and grown or shrunk to that size when present). The data
    /// outlives the namespace, so a later instance on the same path sees it.
    case file(path: String)
    /// Nothing is stored: reads return zeroes and writes may carry no data.
    /// For benchmarks of the logging path, where copying data would be the
    /// bottleneck.
    case discard
}

/// One namespace of the simulated NVM subsystem: `capacity` logical blocks
/// (LBAs) of `lbaSize` bytes each, stored as its `backing` says.
///
/// The I/O methods are what the controller runs for Write, Write Zeroes,
/// Dataset Management (deallocate) and Read once it has accepted a command.
/// They return the status the command completes with and never trap: a bad
/// range or buffer is an NVMe status, as a real controller would report it.
/// Checks come in the controller's order: the range first (`checkRange`,
/// which the controller also calls before logging a change), then the data
/// buffer.
///
/// Failed system calls (file backing only) become statuses too: a failed
/// `pread`/`pwrite`, or one that transfers nothing, is `Data Transfer Error`
/// (the data could not be moved between host buffer and media); a failed
/// hole punch other than "not supported here" is `Internal Error` (the
/// controller could not carry out a command that moves no data).
public final class SimulatedNamespace: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init, and the
    // storage (mapping or file descriptor) is shared by all threads on
    // purpose. Commands on disjoint ranges touch disjoint bytes. Commands on
    // overlapping ranges in flight at the same time are unordered, exactly
    // as NVMe leaves outstanding commands unordered: a read may then see
    // some blocks old and some new. Callers that need one answer must not
    // overlap commands in flight, as with a real drive.

    /// Namespace identifier, 1...0xFFFF_FFFE (0 names no namespace and
    /// 0xFFFF_FFFF is the broadcast value, neither can name one namespace).
    public let nsid: UInt32
    /// Bytes per logical block: a power of two in 512...65536.
    public let lbaSize: Int
    /// Number of logical blocks (the Identify Namespace NSZE).
    public let capacity: UInt64
    public let backing: NamespaceBacking
    /// `capacity * lbaSize`, checked at init to fit an `Int` (and `off_t`).
    public let byteCount: Int

    private let storage: NamespaceStorage

    /// The range of LBA sizes a namespace may use; both ends powers of two.
    public static let lbaSizes: ClosedRange<Int> = 512 ... 65536

    /// Creates the namespace and its storage.
    ///
    /// Throws `EINVAL` for impossible geometry (an LBA size that is not a
    /// power of two in `lbaSizes`, a capacity of 0, a byte size that
    /// overflows) or an NSID of 0 or 0xFFFF_FFFF; otherwise the error of the
    /// failing `mmap`, `open` or `ftruncate`.
    public init(nsid: UInt32, lbaSize: Int = 512, capacity: UInt64, backing: NamespaceBacking) throws(SystemError) {
        let byteCount = try Self.validatedByteCount(nsid: nsid, lbaSize: lbaSize, capacity: capacity)
        self.nsid = nsid
        self.lbaSize = lbaSize
        self.capacity = capacity
        self.backing = backing
        self.byteCount = byteCount
        switch backing {
        case .memory: storage = .memory(try NamespaceMemory(byteCount: byteCount))
        case .file(let path): storage = .file(try NamespaceFile(path: path, byteCount: byteCount))
        case .discard: storage = .discard
        }
    }

    /// The byte size of a namespace with this geometry, or `EINVAL` naming
    /// what is wrong with it.
    private static func validatedByteCount(nsid: UInt32, lbaSize: Int, capacity: UInt64) throws(SystemError) -> Int {
        let what = "simulated namespace \(nsid)"
        guard nsid != 0, nsid != UInt32.max else {
            throw SystemError("\(what): NSID must be in 1...0xFFFFFFFE", errno: EINVAL)
        }
        guard lbaSizes.contains(lbaSize), lbaSize & (lbaSize - 1) == 0 else {
            throw SystemError("\(what): LBA size \(lbaSize) is not a power of two in 512...65536", errno: EINVAL)
        }
        guard capacity > 0 else {
            throw SystemError("\(what): capacity must be at least one LBA", errno: EINVAL)
        }
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: UInt64(lbaSize))
        guard !overflow, bytes <= UInt64(Int.max) else {
            throw SystemError("\(what): \(capacity) LBAs of \(lbaSize) bytes overflow a byte offset", errno: EINVAL)
        }
        return Int(bytes)
    }

    // MARK: Checks

    /// The status a command on `blockCount` blocks at `startingLBA` gets for
    /// its range alone: `Invalid Field in Command` for zero blocks (commands
    /// carry a 0's based count, so an empty range cannot be asked for), `LBA
    /// Out of Range` when the range does not end within the namespace
    /// (overflow-safe), otherwise success.
    public func checkRange(startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        guard blockCount > 0 else { return .invalidFieldInCommand }
        guard startingLBA < capacity, UInt64(blockCount) <= capacity - startingLBA else { return .lbaOutOfRange }
        return .success
    }

    /// The status `write` would return before touching storage: the range
    /// check, then `Invalid Field in Command` for missing data (allowed only
    /// for `.discard`) or data shorter than `blockCount * lbaSize` bytes.
    public func checkWrite(startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        let range = checkRange(startingLBA: startingLBA, blockCount: blockCount)
        guard range.isSuccess else { return range }
        guard let data else { return backing == .discard ? .success : .invalidFieldInCommand }
        return data.count >= byteLength(blockCount) ? .success : .invalidFieldInCommand
    }

    // MARK: I/O

    /// Write: stores `blockCount` blocks from the start of `data` (extra
    /// bytes are ignored). `data` may be nil only for `.discard`.
    public func write(startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        let status = checkWrite(startingLBA: startingLBA, blockCount: blockCount, data: data)
        // Only `.discard` passes the check without data, and it stores nothing.
        guard status.isSuccess, let data else { return status }
        let source = UnsafeRawBufferPointer(rebasing: data[0 ..< byteLength(blockCount)])
        let offset = byteOffset(startingLBA)
        switch storage {
        case .memory(let memory): memory.store(source, at: offset); return .success
        case .file(let file): return file.store(source, at: offset)
        case .discard: return .success
        }
    }

    /// Write Zeroes: the range reads back as zeroes.
    public func writeZeroes(startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        zero(startingLBA: startingLBA, blockCount: blockCount)
    }

    /// Deallocate (one Dataset Management range): the range reads back as
    /// zeroes and, where the backing can, gives its storage back (pages to
    /// the kernel, file blocks to the filesystem), as a thin-provisioned
    /// drive would.
    public func deallocate(startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        zero(startingLBA: startingLBA, blockCount: blockCount)
    }

    /// Read: copies `blockCount` blocks into the start of `buffer`, which
    /// must hold at least `blockCount * lbaSize` bytes (else `Invalid Field
    /// in Command`). `.discard` reads zeroes.
    public func read(startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus {
        let range = checkRange(startingLBA: startingLBA, blockCount: blockCount)
        guard range.isSuccess else { return range }
        let length = byteLength(blockCount)
        guard buffer.count >= length, let base = buffer.baseAddress else { return .invalidFieldInCommand }
        let destination = UnsafeMutableRawBufferPointer(start: base, count: length)
        let offset = byteOffset(startingLBA)
        switch storage {
        case .memory(let memory): memory.load(into: destination, from: offset); return .success
        case .file(let file): return file.load(into: destination, from: offset)
        case .discard: destination.initializeMemory(as: UInt8.self, repeating: 0); return .success
        }
    }

    // MARK: Helpers

    /// Write Zeroes and deallocate store the same thing (zeroes); only the
    /// controller's log tells them apart (the deallocated bit).
    private func zero(startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        let range = checkRange(startingLBA: startingLBA, blockCount: blockCount)
        guard range.isSuccess else { return range }
        let offset = byteOffset(startingLBA)
        let length = byteLength(blockCount)
        switch storage {
        case .memory(let memory): memory.zero(at: offset, count: length); return .success
        case .file(let file): return file.zero(at: offset, count: length)
        case .discard: return .success
        }
    }

    /// Byte offset of an LBA; call only after `checkRange` succeeded, which
    /// bounds it by `byteCount`.
    private func byteOffset(_ lba: UInt64) -> Int { Int(lba) * lbaSize }

    /// Bytes in `blockCount` blocks: at most 2^32 * 2^16, no overflow.
    private func byteLength(_ blockCount: UInt32) -> Int { Int(blockCount) * lbaSize }
}

/// The storage behind a namespace, one case per `NamespaceBacking`.
private enum NamespaceStorage {
    case memory(NamespaceMemory)
    case file(NamespaceFile)
    case discard
}
