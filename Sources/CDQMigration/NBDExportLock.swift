import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// One migration per NBD export from this host, as `ExclusiveLock` gives a
/// file or block device: an exclusive `flock` on a lock file named after
/// the export's URI, taken before the first connection and held while the
/// destination is open. Two migrations from one host into one export would
/// interleave their writes, and the export would match neither source.
///
/// The server cannot be asked to lock an export, so this guards only what
/// one host can see: migrations from other hosts, or through a URI that
/// names the same export differently (`localhost` against `127.0.0.1`),
/// are not excluded (docs/migration.md).
final class NBDExportLock {
    private let descriptor: Int32

    /// Where the lock files live: `/run/lock` (Debian's tmpfs for lock
    /// files), else `$TMPDIR`, else `/tmp`.
    static var directory: String {
        var status = stat()
        if stat("/run/lock", &status) == 0, status.st_mode & S_IFMT == S_IFDIR, access("/run/lock", W_OK) == 0 {
            return "/run/lock"
        }
        return getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }

    /// The lock file of `uri`: its FNV-1a hash, so any URI makes a plain name.
    static func path(for uri: String, in directory: String = NBDExportLock.directory) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in uri.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\(directory)/cdq-engine-nbd-\(String(repeating: "0", count: 16 - hex.count))\(hex).lock"
    }

    /// Takes the lock of `uri`, or says which process holds it.
    init(uri: String, directory: String = NBDExportLock.directory) throws(MigrationError) {
        let file = Self.path(for: uri, in: directory)
        let descriptor = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw .system(SystemError("open \(file)", errno: currentErrno())) }
        do throws(SystemError) {
            try ExclusiveLock.take(descriptor, path: "the NBD export \(uri)")
        } catch {
            close(descriptor)
            throw .system(error)
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
