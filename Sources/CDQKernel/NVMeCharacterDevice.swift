import CCDQ
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// An open NVMe character device: a controller (`/dev/nvmeN`, admin
/// commands) or a generic namespace (`/dev/ngNnM`, I/O commands).
///
/// Opening verifies through sysfs that the path really is one of these:
/// io_uring happily sends a URING_CMD to `/dev/null` and reports success, so
/// a wrong path would otherwise look like a working controller.
public final class NVMeCharacterDevice: @unchecked Sendable {
    // @unchecked: the descriptor and fields are immutable; the kernel
    // serialises what happens on the file.

    public enum Kind: String, Sendable {
        /// `/dev/nvmeN`: takes admin commands (`NVME_URING_CMD_ADMIN`).
        case controller
        /// `/dev/ngNnM`: takes I/O commands for one namespace (`NVME_URING_CMD_IO`).
        case genericNamespace
    }

    public let path: String
    public let kind: Kind
    public let fileDescriptor: Int32
    /// The namespace id of a generic namespace device (from `NVME_IOCTL_ID`); 0 for a controller.
    public let namespaceID: UInt32

    /// Opens `path` read-write and checks that it is an NVMe character device.
    public init(path: String) throws(DeviceError) {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        if fd < 0 { throw .open(path: path, SystemError("open \(path)", errno: currentErrno())) }
        do {
            kind = try Self.classify(fd: fd, path: path)
            namespaceID = kind == .genericNamespace ? try Self.namespaceID(fd: fd, path: path) : 0
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.fileDescriptor = fd
    }

    /// Wraps a descriptor without checking what it is. For tests of error
    /// paths (e.g. an eventfd, which refuses URING_CMD) only.
    public init(unverifiedFileDescriptor fd: Int32, kind: Kind, path: String = "<unverified>") {
        self.path = path
        self.kind = kind
        self.fileDescriptor = dup(fd)
        self.namespaceID = 0
    }

    deinit { close(fileDescriptor) }

    /// The io_uring command operation this device accepts.
    public var uringCommandOp: UInt32 {
        kind == .controller ? cdq_uring_cmd_admin() : cdq_uring_cmd_io()
    }

    /// Reads `/sys/dev/char/MAJ:MIN/subsystem`: `nvme` for controllers,
    /// `nvme-generic` for generic namespace devices.
    private static func classify(fd: Int32, path: String) throws(DeviceError) -> Kind {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .open(path: path, SystemError("fstat \(path)", errno: currentErrno())) }
        guard info.st_mode & S_IFMT == S_IFCHR else { throw .notACharacterDevice(path: path) }
        let node = "/sys/dev/char/\(major(info.st_rdev)):\(minor(info.st_rdev))/subsystem"
        let subsystem = readLinkBasename(node)
        switch subsystem {
        case "nvme": return .controller
        case "nvme-generic": return .genericNamespace
        default: throw .notNVMe(path: path, subsystem: subsystem)
        }
    }

    private static func namespaceID(fd: Int32, path: String) throws(DeviceError) -> UInt32 {
        let nsid = cdq_ioctl_nsid(fd)
        if nsid < 0 { throw .open(path: path, SystemError("NVME_IOCTL_ID \(path)", errno: currentErrno())) }
        return UInt32(nsid)
    }
}

/// The last path component a symlink points to, or nil if it is not a link.
func readLinkBasename(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return target.split(separator: "/").last.map(String.init)
}

/// Linux's `major()`/`minor()` are macros; this is their glibc encoding.
func major(_ device: UInt) -> UInt { ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff) }
func minor(_ device: UInt) -> UInt { (device & 0xff) | ((device >> 12) & ~0xff) }

/// Why a device could not be used.
public enum DeviceError: Error, Sendable, CustomStringConvertible {
    case open(path: String, SystemError)
    case notACharacterDevice(path: String)
    case notNVMe(path: String, subsystem: String?)

    public var description: String {
        switch self {
        case .open(_, let error):
            error.description
        case .notACharacterDevice(let path):
            "\(path) is not a character device (expected an NVMe controller /dev/nvmeN or generic namespace /dev/ngNnM)"
        case .notNVMe(let path, let subsystem):
            "\(path) is not an NVMe character device (sysfs class: \(subsystem ?? "unknown"))"
        }
    }
}
