import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// One writer per destination: an exclusive `flock` on the destination's
/// open file, taken before it is resized or written and held until it is
/// closed. A second migration to the same file or block device is refused
/// at once, naming the process that holds it, instead of two copies
/// interleaving into one destination that matches neither source.
///
/// `flock` belongs to the open file, not the process: two migrations in
/// one process exclude each other too, and the lock goes with the last
/// descriptor (also when the process dies).
enum ExclusiveLock {
    static func take(_ descriptor: Int32, path: String) throws(SystemError) {
        guard flock(descriptor, LOCK_EX | LOCK_NB) != 0 else { return }
        let error = currentErrno()
        guard error == EWOULDBLOCK else { throw SystemError("flock \(path)", errno: error) }
        throw SystemError("\(path) is locked by \(holder(of: descriptor)); another migration is writing it", errno: error)
    }

    /// "process 1234 (cdqctl)", from the `FLOCK` line of /proc/locks that
    /// names this file's inode; "another process" when it cannot be told.
    static func holder(of descriptor: Int32) -> String {
        var status = stat()
        guard fstat(descriptor, &status) == 0, let locks = readSmallFile("/proc/locks") else { return "another process" }
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF": pid, then major:minor:inode.
        for line in locks.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]),
                  let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), inode == UInt64(status.st_ino)
            else { continue }
            let name = readSmallFile("/proc/\(pid)/comm").map { " (\($0.filter { $0 != "\n" }))" } ?? ""
            return "process \(pid)\(name)"
        }
        return "another process"
    }

    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got <= 0 { break }
            bytes += chunk[0 ..< got]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
