import CCDQ
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What a migration source says about its own size: a block device its
/// byte count (`BLKGETSIZE64`) and logical block size (`BLKSSZGET`), a
/// regular file (an image, in tests) only its byte count.
///
/// The source is the authority on the namespace's geometry: the managing
/// controller often does not have the migratable controller's namespace
/// attached at all, and its Identify Namespace then reports nothing
/// usable (cdq-protocol.md §6b, "Topology").
public struct SourceGeometry: Sendable, Equatable {
    public var path: String
    public var bytes: UInt64
    /// The logical block size of a block device; nil for a regular file.
    public var logicalBlockSize: Int?
    /// The source's device number when it is a block device (for sysfs).
    public var device: (major: UInt, minor: UInt)?

    public init(path: String, bytes: UInt64, logicalBlockSize: Int?, device: (major: UInt, minor: UInt)? = nil) {
        self.path = path
        self.bytes = bytes
        self.logicalBlockSize = logicalBlockSize
        self.device = device
    }

    public static func == (a: SourceGeometry, b: SourceGeometry) -> Bool {
        a.path == b.path && a.bytes == b.bytes && a.logicalBlockSize == b.logicalBlockSize
            && a.device?.major == b.device?.major && a.device?.minor == b.device?.minor
    }

    /// Reads `path` (opened read only, never written).
    public static func read(_ path: String) throws(SystemError) -> SourceGeometry {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(path)", errno: currentErrno()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SystemError("fstat \(path)", errno: currentErrno()) }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            return SourceGeometry(path: path, bytes: UInt64(status.st_size), logicalBlockSize: nil)
        case S_IFBLK:
            var bytes: UInt64 = 0
            var blockSize: Int32 = 0
            guard cdq_ioctl_block_bytes(fd, &bytes) == 0 else { throw SystemError("BLKGETSIZE64 \(path)", errno: currentErrno()) }
            guard cdq_ioctl_block_size(fd, &blockSize) == 0 else { throw SystemError("BLKSSZGET \(path)", errno: currentErrno()) }
            let device = UInt(status.st_rdev)
            return SourceGeometry(path: path, bytes: bytes, logicalBlockSize: Int(blockSize),
                                  device: (major(device), minor(device)))
        default:
            throw SystemError("\(path) is neither a block device nor a regular file", errno: EINVAL)
        }
    }
}

/// A namespace's size as Identify Namespace reports it.
public struct IdentifiedGeometry: Sendable, Equatable {
    public var blocks: UInt64
    public var lbaSize: Int
    /// Which controller answered, for messages.
    public var controller: String

    public init(blocks: UInt64, lbaSize: Int, controller: String) {
        self.blocks = blocks
        self.lbaSize = lbaSize
        self.controller = controller
    }
}

/// The geometry a migration copies: blocks and block size.
public struct NamespaceGeometry: Sendable, Equatable {
    public var blocks: UInt64
    public var lbaSize: Int
    /// Where it came from, for the user: "/dev/nvme1n1", "/dev/nvme1n1 and Identify on /dev/nvme0".
    public var origin: String

    public var bytes: UInt64 { blocks * UInt64(lbaSize) }

    /// A regular-file source has no block size of its own; without an
    /// Identify answer it is taken as this.
    public static let regularFileBlockSize = 512

    /// The geometry from the source, checked against Identify when a
    /// controller that has the namespace attached answered. Both must
    /// agree exactly: a source of another size is another namespace (or a
    /// partition), and copying it would be silent data loss.
    public static func reconcile(source: SourceGeometry, identified: IdentifiedGeometry?) throws(GeometryError) -> NamespaceGeometry {
        if let identified {
            if let blockSize = source.logicalBlockSize, blockSize != identified.lbaSize {
                throw .disagree("\(source.path) has \(blockSize)-byte blocks, Identify Namespace on \(identified.controller) "
                    + "\(identified.lbaSize)-byte blocks")
            }
            let (bytes, overflow) = identified.blocks.multipliedReportingOverflow(by: UInt64(identified.lbaSize))
            guard !overflow, bytes == source.bytes else {
                throw .disagree("\(source.path) holds \(source.bytes) bytes, Identify Namespace on \(identified.controller) "
                    + "reports \(identified.blocks) blocks of \(identified.lbaSize) bytes")
            }
            return NamespaceGeometry(blocks: identified.blocks, lbaSize: identified.lbaSize,
                                     origin: "\(source.path), agreeing with Identify Namespace on \(identified.controller)")
        }
        let blockSize = source.logicalBlockSize ?? regularFileBlockSize
        guard blockSize > 0, blockSize & (blockSize - 1) == 0 else {
            throw .unusable("\(source.path) reports a block size of \(blockSize) bytes")
        }
        guard source.bytes > 0, source.bytes % UInt64(blockSize) == 0 else {
            throw .unusable("\(source.path) holds \(source.bytes) bytes, not a positive multiple of its \(blockSize)-byte blocks")
        }
        let note = source.logicalBlockSize == nil ? " (a regular file: \(blockSize)-byte blocks assumed)" : ""
        return NamespaceGeometry(blocks: source.bytes / UInt64(blockSize), lbaSize: blockSize, origin: source.path + note)
    }
}

/// Why a source's geometry cannot be used.
public enum GeometryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source and Identify Namespace disagree.
    case disagree(String)
    case unusable(String)

    public var description: String {
        switch self {
        case .disagree(let what): "the source does not match the namespace: \(what); is --source the namespace given by --nsid?"
        case .unusable(let what): what
        }
    }
}
