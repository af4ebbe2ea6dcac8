#if canImport(Glibc)
import Glibc
#endif

/// One NVMe controller as sysfs describes it (`/sys/class/nvme/nvmeN`).
public struct SysfsController: Sendable, Equatable {
    /// `nvme1`.
    public var name: String
    public var cntlid: UInt16?
    public var subsystemNQN: String?
    public var serial: String?

    public init(name: String, cntlid: UInt16?, subsystemNQN: String?, serial: String?) {
        self.name = name
        self.cntlid = cntlid
        self.subsystemNQN = subsystemNQN
        self.serial = serial
    }
}

/// Which NVMe controllers stand behind a block device or a controller's
/// character device, read from sysfs. `root` is `/sys` on a host; tests
/// point it at a directory tree of their own.
///
/// A namespace's block device (`/sys/dev/block/MAJ:MIN`) links `device` to
/// its controller, or, with native multipath, to the subsystem, and lists
/// the paths (one per controller) under `multipath/`.
public struct SysfsTopology: Sendable {
    public let root: String

    public init(root: String = "/sys") {
        self.root = root
    }

    /// Every controller a read of the block device `major:minor` may go
    /// through; empty when it is not an NVMe namespace.
    public func controllers(ofBlockDevice major: UInt, _ minor: UInt) -> [SysfsController] {
        let node = "\(root)/dev/block/\(major):\(minor)"
        if let direct = controller(at: "\(node)/device") { return [direct] }
        return entries(of: "\(node)/multipath").compactMap { controller(at: "\(node)/multipath/\($0)/device") }
    }

    /// The NSID of the NVMe namespace block device `major:minor`, if it is one.
    public func namespaceID(ofBlockDevice major: UInt, _ minor: UInt) -> UInt32? {
        readAttribute("\(root)/dev/block/\(major):\(minor)/nsid").flatMap { UInt32($0) }
    }

    /// The controller of the character device `major:minor` (`/dev/nvmeN`).
    public func controller(ofCharacterDevice major: UInt, _ minor: UInt) -> SysfsController? {
        controller(at: "\(root)/dev/char/\(major):\(minor)")
    }

    /// The controller of an open `/dev/nvmeN`; nil for anything else.
    public func controller(of device: NVMeCharacterDevice) -> SysfsController? {
        var status = stat()
        guard fstat(device.fileDescriptor, &status) == 0, status.st_mode & S_IFMT == S_IFCHR else { return nil }
        return controller(ofCharacterDevice: major(UInt(status.st_rdev)), minor(UInt(status.st_rdev)))
    }

    /// The controller whose sysfs directory `path` is (or links to); nil
    /// when it has no `cntlid` (a subsystem, or not NVMe).
    func controller(at path: String) -> SysfsController? {
        guard let cntlid = readAttribute("\(path)/cntlid").flatMap({ UInt16($0) }) else { return nil }
        let name = readLinkBasename(path) ?? path.split(separator: "/").last.map(String.init) ?? path
        return SysfsController(name: name, cntlid: cntlid, subsystemNQN: readAttribute("\(path)/subsysnqn"),
                               serial: readAttribute("\(path)/serial"))
    }

    private func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        return entryNames(handle)
    }
}

/// The names in an open directory, `.` and `..` left out, sorted.
func entryNames(_ handle: OpaquePointer) -> [String] {
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// A sysfs attribute's text without surrounding white space (at most 4 KiB), nil if unreadable.
func readAttribute(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = read(fd, &buffer, buffer.count)
    guard count >= 0 else { return nil }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
    return String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
}

/// Where a migration reads its source from, checked against the
/// controllers involved (cdq-protocol.md §6b): a suspended controller
/// answers nothing, neither admin commands nor reads.
public enum SourcePlacement {
    /// Refuses a source that is read through the migratable controller
    /// `cntlid` (its reads hang once it is suspended, until the kernel
    /// resets the controller, which resumes it), and a managing controller
    /// that is the migratable controller (suspend stops its own admin
    /// queue, so it could never be resumed through itself).
    ///
    /// CNTLIDs are unique within a subsystem only: a source controller in
    /// another subsystem (another NQN) is never the migratable one.
    public static func check(
        source: String, sourceControllers: [SysfsController], managing: SysfsController?, migratable cntlid: UInt16
    ) throws(PlacementError) {
        for controller in sourceControllers where controller.cntlid == cntlid {
            if let theirs = controller.subsystemNQN, let ours = managing?.subsystemNQN, theirs != ours { continue }
            throw .sourceOnMigratable(source, controller.name, cntlid)
        }
        if let managing, managing.cntlid == cntlid {
            throw .managingIsMigratable(managing.name, cntlid)
        }
    }
}

/// Why a source cannot be used for a migration.
public enum PlacementError: Error, Sendable, Equatable, CustomStringConvertible {
    case sourceOnMigratable(String, String, UInt16)
    case managingIsMigratable(String, UInt16)

    public var description: String {
        switch self {
        case .sourceOnMigratable(let source, let controller, let cntlid):
            "\(source) is read through \(controller), CNTLID \(cntlid): the controller being migrated. Once it is suspended, "
                + "reads through it stop (the kernel times out and resets it, which resumes it), so the final copy could not "
                + "be taken. Read the namespace through another controller: the managing controller with the namespace "
                + "attached, or any controller of the subsystem that is not being migrated (docs/real-hardware.md)"
        case .managingIsMigratable(let controller, let cntlid):
            "\(controller) is CNTLID \(cntlid), the controller being migrated: suspending it stops its own admin queue, "
                + "so it cannot be migrated through itself. Give the managing controller's device"
        }
    }
}
