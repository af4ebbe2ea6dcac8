import ArgumentParser
import CDQMigration
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

extension Migrate {
    /// The settings a migration is made of, all checked before anything is
    /// created, truncated or started: the copy engine's shape, the
    /// granularity (against the smallest block, 512 bytes; a device's own
    /// is checked before its destination is opened), the queue size, and
    /// a destination file that already holds data only with `--force`.
    func validateSettings() throws {
        if let problem = try configuration().problem(lbaSize: 512) {
            throw ValidationError("--depth \(depth), --chunk-size \(chunkSize), --granularity \(granularity): \(problem)")
        }
        try validateQueueEntries(queueEntries, flag: "--queue-entries")
        try checkDestination()
    }

    /// An existing regular file that is not empty is somebody's data:
    /// overwritten only when asked. An empty file, a new path and a block
    /// device (named on purpose) are written without asking.
    private func checkDestination() throws {
        var status = stat()
        guard !force, stat(destination, &status) == 0 else { return }
        if status.st_mode & S_IFMT == S_IFREG && status.st_size > 0 {
            throw ValidationError("\(destination) exists and is not empty; give --force to overwrite it")
        }
    }
}

/// A queue size for `flag`: at least what a FIRST, a change and a LAST need
/// (`ControllerDataQueue.minimumEntries`), at most 65,536 (a 2 MiB hugepage).
func validateQueueEntries(_ entries: UInt32, flag: String) throws {
    let range = "\(ControllerDataQueue.minimumEntries)...65536"
    if let tooFew = ControllerDataQueue.tooFewEntries(entries) { throw ValidationError("\(flag) must be \(range): \(tooFew)") }
    guard entries <= 65_536 else { throw ValidationError("\(flag) must be \(range)") }
}
