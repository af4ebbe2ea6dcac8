import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The directory of queue records (`/run/cdq-engine`, emptied at boot like
/// the kernel's own state).
///
/// The records are security relevant: a root `cdqctl cleanup` deletes
/// through the RFC ioctl what a record says, and deleting an id the kernel
/// never created oopses the kernel. So the directory must belong to the
/// expected owner (root, in production) with mode 0700 and must not be a
/// symlink; each record is opened with `O_NOFOLLOW` and must be a regular
/// file of that owner, writable by nobody else, with one link. Anything
/// else is reported and never acted on.
public struct QueueRecordStore: Sendable {
    public static let defaultRoot = "/run/cdq-engine"

    public let root: String
    /// The uid that must own the directory and every record.
    public let owner: uid_t

    public init(root: String = Self.defaultRoot, owner: uid_t = geteuid()) {
        self.root = root
        self.owner = owner
    }

    /// A record file as found: parsed and checked, or why it is not usable.
    public struct Entry: Sendable {
        public var name: String
        public var record: QueueRecord?
        public var problem: String?
    }

    /// Writes `record`, replacing a stale record of the same CDQID (the
    /// controller gave the id again, so that queue is gone).
    public func write(_ record: QueueRecord) throws(SystemError) {
        let directory = try openDirectory(create: true)
        defer { close(directory) }
        var fd = openat(directory, record.fileName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 && currentErrno() == EEXIST {
            unlinkat(directory, record.fileName, 0)
            fd = openat(directory, record.fileName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw SystemError("create \(root)/\(record.fileName)", errno: currentErrno()) }
        defer { close(fd) }
        let bytes = Array(record.text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            let error = currentErrno()
            unlinkat(directory, record.fileName, 0)
            throw SystemError("write \(root)/\(record.fileName)", errno: error)
        }
    }

    /// Removes `record`'s file (its queue was deleted). Missing is fine.
    public func remove(_ record: QueueRecord) {
        guard let directory = try? openDirectory(create: false) else { return }
        defer { close(directory) }
        unlinkat(directory, record.fileName, 0)
    }

    /// Every record file, checked; empty when there is no directory yet.
    public func entries() throws(SystemError) -> [Entry] {
        let directory: Int32
        do { directory = try openDirectory(create: false) } catch {
            if error.errno == ENOENT { return [] }
            throw error
        }
        defer { close(directory) }
        return names(directory).map { name in
            switch read(name, in: directory) {
            case .success(let record): Entry(name: name, record: record, problem: nil)
            case .failure(let problem): Entry(name: name, record: nil, problem: problem.reason)
            }
        }
    }

    /// The records of queues on `controller`, usable ones only.
    public func records(on controller: ControllerIdentity) -> [QueueRecord] {
        ((try? entries()) ?? []).compactMap(\.record).filter { $0.controller == controller }
    }

    // MARK: Checks

    struct Refusal: Error { let reason: String }

    /// Opens the directory after checking it is ours, 0700, not a symlink.
    private func openDirectory(create: Bool) throws(SystemError) -> Int32 {
        if create && mkdir(root, 0o700) != 0 && currentErrno() != EEXIST {
            throw SystemError("mkdir \(root)", errno: currentErrno())
        }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(root)", errno: currentErrno()) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw SystemError("fstat \(root)", errno: currentErrno())
        }
        guard status.st_uid == owner, status.st_mode & 0o077 == 0 else {
            close(fd)
            throw SystemError("\(root) must belong to uid \(owner) with mode 0700 (it has uid \(status.st_uid), "
                + "mode \(String(status.st_mode & 0o777, radix: 8))); not using it", errno: EPERM)
        }
        return fd
    }

    private func read(_ name: String, in directory: Int32) -> Result<QueueRecord, Refusal> {
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let error = currentErrno()
            return .failure(Refusal(reason: error == ELOOP ? "a symlink, not a record" : "cannot be opened (\(SystemError("open", errno: error).errnoName))"))
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return .failure(Refusal(reason: "not a regular file")) }
        guard status.st_uid == owner else { return .failure(Refusal(reason: "owned by uid \(status.st_uid), not \(owner)")) }
        guard status.st_mode & 0o022 == 0, status.st_nlink == 1 else {
            return .failure(Refusal(reason: "writable by others or hard-linked"))
        }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(fd, &bytes, bytes.count)
        guard count > 0, count < bytes.count, let record = QueueRecord(text: String(decoding: bytes[0..<count], as: UTF8.self)) else {
            return .failure(Refusal(reason: "not a well-formed record"))
        }
        guard record.fileName == name else { return .failure(Refusal(reason: "its contents do not match its name")) }
        return .success(record)
    }

    private func names(_ directory: Int32) -> [String] {
        let copy = dup(directory)
        guard copy >= 0, let handle = fdopendir(copy) else { return [] }
        defer { closedir(handle) }
        return entryNames(handle)
    }
}
