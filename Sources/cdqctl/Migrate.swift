import ArgumentParser
import CDQMigration
import CDQMigrationSimulator
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// `cdqctl migrate`: live migration of a namespace by pre-copy, with the
/// CDQ engine feeding the copy engine's dirty map.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Migrate a namespace live: bulk copy, dirty rounds from the CDQ, suspend, final copy.",
        discussion: """
        With --simulate, a simulated migratable controller with a file-backed namespace (in a \
        temporary directory, removed afterwards) is written by random writers while it is migrated.
        """)

    @Argument(help: "Source: an NVMe controller (/dev/nvmeN); not with --simulate.") var device: String?
    @Flag(help: "Migrate a simulated controller's namespace.") var simulate = false
    @Option(help: "Simulated namespace size, e.g. 256M or 1G.", transform: parseSize) var namespaceSize: UInt64 = 256 << 20
    @Option(help: "Simulated guest writer threads.") var writers = 4
    @Option(help: "Writes per second of all writers together.") var writeRate: Double = 20_000
    @Flag(help: "Writers favour a hot spot (80% of writes to 20% of the namespace).") var skew = false
    @Option(help: "Destination: a regular file (created) or a block device.") var destination: String
    @Flag(help: "Compare checksums of source and destination at the end.") var verify = false
    @Option(help: "Reads and writes in flight.") var depth = 32
    @Option(help: "Largest single read or write, e.g. 1M.", transform: parseSize) var chunkSize: UInt64 = 1 << 20
    @Option(help: "Dirty ranges are rounded out to this, e.g. 4K (the default) or 64K.", transform: parseSize) var granularity: UInt64 = 4 << 10
    @Option(help: "Suspend once the dirty backlog is at most this, e.g. 8M.", transform: parseSize) var threshold: UInt64 = 8 << 20
    @Option(help: "Most dirty rounds before suspending.") var maxRounds = 10
    @Option(help: "Entries of the controller's user data migration queue.") var queueEntries: UInt32 = 4096
    @Flag(inversion: .prefixedNo, help: "Open the destination with O_DIRECT (when the filesystem allows it).")
    var directDestination = true
    @Flag(help: "First time a plain sequential copy of the source (same load), to compare the bulk copy with.")
    var compareSequential = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        if simulate && device != nil { throw ValidationError("give a device or --simulate, not both") }
        if !simulate && device == nil { throw ValidationError("give a source device, or --simulate") }
        guard (0...64).contains(writers) else { throw ValidationError("--writers must be 0...64") }
        guard writeRate.isFinite && writeRate > 0 else { throw ValidationError("--write-rate must be a positive number") }
        guard namespaceSize > 0 && namespaceSize % 512 == 0 else {
            throw ValidationError("--namespace-size must be a positive multiple of 512 bytes")
        }
        guard maxRounds >= 0 else { throw ValidationError("--max-rounds must not be negative") }
        guard (2...65_536).contains(queueEntries) else { throw ValidationError("--queue-entries must be 2...65536") }
    }

    func run() throws {
        try runReportingErrors(json: json) {
            guard simulate, let directory = TemporaryNamespaceDirectory() else {
                if simulate { throw MigrationError.system(SystemError("mkdtemp", errno: currentErrno())) }
                throw MigrationError.configuration(
                    "migrating \(device ?? "a device") needs the kernel controller side (a MigrationController over "
                    + "the NVMe character device: Track Send, Migration Send and a CDQ attached to the engine), "
                    + "which this cdqctl does not have yet; --simulate migrates a simulated controller")
            }
            let migration = try SimulatedMigration(setup(directory.path))
            try migration.startWriters()
            let sequential = compareSequential ? try sequentialBaseline(migration) : nil
            let display = ProgressDisplay(toStandardError: json)
            let report = try migration.migrate(to: destination, configuration: configuration()) { display.show($0) }
            display.finish()
            let summary = MigrateSummary(setup: migration.setup, destination: destination, report: report,
                                         sequentialBytesPerSecond: sequential)
            if json { print(JSON.object(summary.fields).rendered) } else { print(summary.text) }
        }
    }

    private func setup(_ directory: String) -> SimulatedMigrationSetup {
        var setup = SimulatedMigrationSetup(namespaceBytes: namespaceSize, directory: directory)
        setup.writers = writers
        setup.writesPerSecond = writeRate
        setup.skew = skew
        setup.queueEntries = queueEntries
        return setup
    }

    private func configuration() -> MigrationConfiguration {
        MigrationConfiguration(
            copier: CopierConfiguration(depth: depth, chunkBytes: Int(chunkSize)), granularityBytes: Int(granularity),
            backlogThresholdBytes: threshold, maximumRounds: maxRounds, directDestination: directDestination, verify: verify)
    }

    /// A plain sequential copy of the source to a scratch file next to the
    /// destination, under the same writers; bytes per second.
    private func sequentialBaseline(_ migration: SimulatedMigration) throws -> Double {
        let scratch = destination + ".sequential"
        defer { unlink(scratch) }
        let source = try BlockFile(path: migration.source.sourcePath, access: .read)
        let target = try BlockFile(path: scratch, access: .write(byteCount: namespaceSize), preferDirect: directDestination)
        let nanoseconds = try SequentialCopy.copy(from: source, to: target, byteCount: namespaceSize, chunkBytes: Int(chunkSize))
        return Double(namespaceSize) / (Double(nanoseconds) / 1e9)
    }
}

/// `4096`, `64K`, `256M`, `1G`, `2T` (binary multiples; `KiB`, `MB` and the like too).
func parseSize(_ text: String) throws -> UInt64 {
    var digits = Substring(text)
    for suffix in ["iB", "B"] where digits.hasSuffix(suffix) {
        digits = digits.dropLast(suffix.count)
        break
    }
    var shift: UInt64 = 0
    if let last = digits.last, let index = "KMGT".firstIndex(of: Character(last.uppercased())) {
        shift = 10 * UInt64("KMGT".distance(from: "KMGT".startIndex, to: index) + 1)
        digits = digits.dropLast()
    }
    guard let value = UInt64(digits), value > 0, value <= UInt64.max >> shift else {
        throw ValidationError("\(text) is not a size such as 4096, 64K, 256M or 1G")
    }
    return value << shift
}

/// A directory for the simulated namespace file, removed with it.
final class TemporaryNamespaceDirectory {
    let path: String

    init?() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/cdqctl-migrate-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        path = String(cString: made)
    }

    deinit {
        unlink("\(path)/ns1.img")
        rmdir(path)
    }
}
