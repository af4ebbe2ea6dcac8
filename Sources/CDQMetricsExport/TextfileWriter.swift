#if canImport(Glibc)
import Glibc
#endif

/// Writes the exposition for node_exporter's textfile collector: into a
/// hidden temporary file in the same directory (the collector reads only
/// `*.prom`), flushed, then renamed over `path`, so that a scrape never
/// sees half a file.
struct TextfileWriter: Sendable {
    let path: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    var temporaryPath: String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(directory).\(name).\(getpid()).tmp"
    }

    func write(_ bytes: [UInt8]) throws(Failure) {
        let temporary = temporaryPath
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("write \(temporary)")
                close(fd)
                unlink(temporary)
                throw error
            }
            written += count
        }
        let synced = fsync(fd) == 0
        let syncError = synced ? nil : failure("fsync \(temporary)")
        close(fd)
        if let syncError {
            unlink(temporary)
            throw syncError
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
