import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// One side of a copy: a regular file or a block device, opened for
/// reading (a source) or writing (a destination).
///
/// Direct I/O (`O_DIRECT`) bypasses the page cache, which a migration of
/// terabytes wants: the copy must not evict the host's working set, and on
/// a block device it is the honest measure of the device. It is used when
/// asked for and the filesystem accepts it (tmpfs, for one, refuses it);
/// `direct` says what was granted. Every transfer on a direct file must be
/// aligned to `directAlignment`, which the copy engine guarantees by
/// copying whole, aligned chunks.
public final class BlockFile {
    public let path: String
    public let descriptor: Int32
    /// Bytes addressable: the file's size, or the device's.
    public private(set) var byteCount: UInt64
    public let isBlockDevice: Bool
    /// True when the file is open with `O_DIRECT`.
    public let direct: Bool

    /// Offsets and lengths of direct transfers are multiples of this.
    public static let directAlignment: UInt64 = 4096

    /// How to open a file.
    public enum Access: Sendable {
        case read
        /// Writes; a regular file is created if missing and sized to
        /// `byteCount`. The file is locked first (`ExclusiveLock`): one
        /// writer at a time, and nothing resized while another writes.
        case write(byteCount: UInt64)
        /// Writes, created if missing and locked like `write`, but left at
        /// its size until `resize(to:)`: for a caller that still has
        /// setup to do that can fail (a migrator's copy engine).
        case writeUnsized
    }

    /// Opens `path`. With `preferDirect`, tries `O_DIRECT` first and falls
    /// back to buffered I/O when the filesystem refuses it (`EINVAL`).
    public init(path: String, access: Access, preferDirect: Bool = false) throws(SystemError) {
        self.path = path
        let flags: Int32
        switch access {
        case .read: flags = O_RDONLY | O_CLOEXEC
        case .write, .writeUnsized: flags = O_RDWR | O_CREAT | O_CLOEXEC
        }
        var descriptor: Int32 = -1
        var direct = false
        if preferDirect {
            descriptor = open(path, flags | openDirect, 0o644)
            direct = descriptor >= 0
        }
        if descriptor < 0 {
            let error = currentErrno()
            guard !preferDirect || error == EINVAL else { throw SystemError("open \(path)", errno: error) }
            descriptor = open(path, flags, 0o644)
            guard descriptor >= 0 else { throw SystemError("open \(path)", errno: currentErrno()) }
        }
        self.descriptor = descriptor
        self.direct = direct
        do throws(SystemError) {
            if case .read = access {} else { try ExclusiveLock.take(descriptor, path: path) }
            (isBlockDevice, byteCount) = try Self.size(descriptor, path: path, access: access)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The size, after making a regular destination file exactly as large
    /// as the source. A block device keeps its size; one smaller than asked
    /// for is an error (`ENOSPC`), not a truncated copy.
    private static func size(_ descriptor: Int32, path: String, access: Access) throws(SystemError) -> (Bool, UInt64) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SystemError("fstat \(path)", errno: currentErrno()) }
        let isBlockDevice = status.st_mode & S_IFMT == S_IFBLK
        guard isBlockDevice || status.st_mode & S_IFMT == S_IFREG else {
            throw SystemError("\(path) is neither a regular file nor a block device", errno: EINVAL)
        }
        var size = isBlockDevice ? UInt64(max(0, lseek(descriptor, 0, SEEK_END))) : UInt64(status.st_size)
        if case .write(let wanted) = access {
            if isBlockDevice {
                guard size >= wanted else {
                    throw SystemError("\(path) holds \(size) bytes, the source \(wanted)", errno: ENOSPC)
                }
            } else if size != wanted {
                guard ftruncate(descriptor, off_t(wanted)) == 0 else {
                    throw SystemError("ftruncate \(path) to \(wanted) bytes", errno: currentErrno())
                }
                size = wanted
            }
        }
        return (isBlockDevice, size)
    }

    /// Makes a file opened with `.writeUnsized` what `.write(byteCount:)`
    /// would have made it: a regular file exactly `wanted` bytes, a block
    /// device at least that large (else `ENOSPC`).
    public func resize(to wanted: UInt64) throws(SystemError) {
        (_, byteCount) = try Self.size(descriptor, path: path, access: .write(byteCount: wanted))
    }

    /// Writes what was written to stable storage.
    public func synchronize() throws(SystemError) {
        guard fdatasync(descriptor) == 0 else { throw SystemError("fdatasync \(path)", errno: currentErrno()) }
    }
}

/// `O_DIRECT` from `<fcntl.h>`, declared only under `_GNU_SOURCE`, which the
/// Swift Glibc module is not built with; its value differs by architecture.
#if arch(arm64)
private let openDirect: Int32 = 0o200000
#else
private let openDirect: Int32 = 0o40000
#endif
