import ArgumentParser
import CDQMigration
import CDQMigrationSimulator
import CDQEngine
import CDQKernel
import CDQNVMe
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
        temporary directory, removed afterwards) is written by random writers while it is migrated. \
        With a controller device (/dev/nvmeN, a kernel with the CDQ RFC), --cntlid names the migratable \
        controller, --nsid its namespace, and --source the path the namespace is read from (its block \
        device, e.g. /dev/nvme1n1). SIGINT or SIGTERM cancels the migration cleanly: the controller is \
        resumed if it was suspended, logging stops and the queue is deleted before cdqctl exits.
        """)

    @Argument(help: "Source: an NVMe controller (/dev/nvmeN); not with --simulate.") var device: String?
    @Flag(help: "Migrate a simulated controller's namespace.") var simulate = false
    @Option(help: "With a device: CNTLID of the migratable controller.") var cntlid: UInt16?
    @Option(help: "With a device: the namespace to migrate.") var nsid: UInt32 = 1
    @Option(help: "With a device: where the namespace is read from, e.g. /dev/nvme1n1.") var source: String?
    @Option(help: "Simulated namespace size, e.g. 256M or 1G.", transform: parseSize) var namespaceSize: UInt64 = 256 << 20
    @Option(help: "Simulated guest writer threads.") var writers = 4
    @Option(help: "Writes per second of all writers together.") var writeRate: Double = 20_000
    @Flag(help: "Writers favour a hot spot (80% of writes to 20% of the namespace).") var skew = false
    @Option(help: ArgumentHelp(destinationHelp)) var destination: String
    @Flag(help: "Overwrite a destination file that exists and is not empty.") var force = false
    @Flag(help: "Compare checksums of source and destination at the end.") var verify = false
    @Option(help: "Reads and writes in flight.") var depth = 32
    @Option(help: "Largest single read or write, e.g. 1M.", transform: parseSize) var chunkSize: UInt64 = 1 << 20
    @Option(help: "Dirty ranges are rounded out to this, e.g. 4K (the default) or 64K.", transform: parseSize) var granularity: UInt64 = 4 << 10
    @Option(help: "Suspend once the dirty backlog is at most this, e.g. 8M (0: only when nothing is dirty).", transform: parseSizeOrZero) var threshold: UInt64 = 8 << 20
    @Option(help: "Most dirty rounds before suspending.") var maxRounds = 10
    @Option(help: "Entries of the controller's user data migration queue.") var queueEntries: UInt32 = 4096
    @Flag(inversion: .prefixedNo, help: "Open the destination with O_DIRECT (when the filesystem allows it).")
    var directDestination = true
    @Flag(help: "First time a plain sequential copy of the source (same load), to compare the bulk copy with.")
    var compareSequential = false
    @Option(help: "A change record that cannot be applied exactly: resync (copy everything again) or abort (stop, source resumed).")
    var onUntrusted: UntrustedEntryPolicy = .resync
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Option(help: SimulatedRefusal.help) var simulatedRefusal: SimulatedRefusal?
    @Option(help: .hidden) var simulateFault: SimulatedFault?
    @OptionGroup var observability: ObservabilityOptions
    @OptionGroup var simulatedAdmin: SimulatedAdminOptions

    func validate() throws {
        if simulate && device != nil { throw ValidationError("give a device or --simulate, not both") }
        try simulatedAdmin.check(simulate: simulate)
        if !simulate && device == nil { throw ValidationError("give a source device, or --simulate") }
        if device != nil && (cntlid == nil || source == nil) {
            throw ValidationError("with a device, give --cntlid (the migratable controller) and --source (its namespace's block device)")
        }
        guard (0...64).contains(writers) else { throw ValidationError("--writers must be 0...64") }
        guard writeRate.isFinite && writeRate > 0 else { throw ValidationError("--write-rate must be a positive number") }
        guard namespaceSize > 0 && namespaceSize % 512 == 0 else {
            throw ValidationError("--namespace-size must be a positive multiple of 512 bytes")
        }
        if simulatedRefusal == .createCDQ || (simulatedRefusal != nil && !simulate) {
            throw ValidationError("--simulated-refusal is track-send or migration-send, with --simulate")
        }
        guard maxRounds >= 0 else { throw ValidationError("--max-rounds must not be negative") }
        if compareSequential && NBDDestination.isURI(destination) {
            throw ValidationError("--compare-sequential copies next to a local destination; it does not apply to an NBD export")
        }
        try validateSettings()
    }

    func run() throws {
        // Before any thread starts, so that every thread inherits the
        // blocked mask: Ctrl-C cancels the migration, which then deletes
        // its queue, instead of killing the process with the queue pinned.
        let signals = StopSignals()
        try runReportingErrors(json: json) {
            let export = try observability.start(verb: "migrate")
            defer { export?.shutdown() }
            let cancel = try CancelOnSignal(signals, verb: "migrate")
            defer { cancel.finish() }
            let summary = try device.map { try migrateDevice($0, cancel) } ?? migrateSimulated(cancel)
            if json { print(JSON.object(summary.fields).rendered) } else { print(summary.text) }
        }
    }

    private func migrateSimulated(_ cancel: CancelOnSignal) throws -> MigrateSummary {
        guard let directory = TemporaryNamespaceDirectory() else {
            throw MigrationError.system(SystemError("mkdtemp", errno: currentErrno()))
        }
        let migration = try SimulatedMigration(setup(directory.path))
        simulatedRefusal?.arm(migration.subsystem.faults)
        try migration.startWriters()
        let sequential = compareSequential ? try sequentialBaseline(from: migration.sourcePath, bytes: namespaceSize) : nil
        let display = ProgressDisplay(toStandardError: json)
        defer { migration.stopWriters() }
        let migrator = try migration.migrator(to: destination, configuration: configuration())
        cancel.watch(migrator)
        let fault = MigrationFault(simulateFault, subsystem: migration.subsystem)
        let report = try migrator.run(into: destination, display: display) { fault.check($0) }
        return MigrateSummary(source: MigrateSummary.describe(migration.setup), destination: destination, report: report,
                              sequentialBytesPerSecond: sequential)
    }

    /// A real controller: the source placement and geometry checked first
    /// (`MigrationSource`), the queue through the kernel backend, the data
    /// read from `--source`.
    private func migrateDevice(_ path: String, _ cancel: CancelOnSignal) throws -> MigrateSummary {
        let geometry = try MigrationSource(managing: path, nsid: nsid, cntlid: cntlid!, source: source!).geometry
        note("namespace \(nsid): \(geometry.blocks) blocks of \(geometry.lbaSize) bytes, from \(geometry.origin)", verb: "migrate")
        let engine = try Engine()
        defer { engine.shutdown() }
        let backend = try KernelQueueBackend(path: path)
        let controller = try AttachedMigrationSource(engine: engine, backend: backend, cntlid: cntlid!, nsid: nsid, entries: queueEntries)
        defer { controller.release() }
        note("CDQID \(controller.cdqid) on \(path), \(controller.queue.entryCount) entries; \(controller.queue.memory.reason)", verb: "migrate")
        if let problem = backend.recordProblem { note(problem, verb: "migrate") }
        let sequential = compareSequential ? try sequentialBaseline(from: source!, bytes: geometry.bytes) : nil
        let migrator = try Migrator(controller: controller, sourcePath: source!, destinationPath: destination,
                                    lbaSize: geometry.lbaSize, capacity: geometry.blocks, configuration: configuration())
        cancel.watch(migrator)
        let display = ProgressDisplay(toStandardError: json)
        let report = try migrator.run(into: destination, display: display)
        let line = "namespace \(nsid) of CNTLID \(cntlid!) on \(path) (\(mebibytes(geometry.bytes)), read from \(source!); geometry from \(geometry.origin))"
        return MigrateSummary(source: line, destination: destination, report: report, sequentialBytesPerSecond: sequential)
    }

    private func setup(_ directory: String) -> SimulatedMigrationSetup {
        var setup = SimulatedMigrationSetup(namespaceBytes: namespaceSize, directory: directory)
        setup.writers = writers
        setup.writesPerSecond = writeRate
        setup.skew = skew
        setup.queueEntries = queueEntries
        setup.adminCost = simulatedAdmin.cost
        return setup
    }

    func configuration() throws -> MigrationConfiguration {
        var configuration = MigrationConfiguration(
            copier: CopierConfiguration(depth: depth, chunkBytes: try checkedInt(chunkSize, "--chunk-size")),
            granularityBytes: try checkedInt(granularity, "--granularity"),
            backlogThresholdBytes: threshold, maximumRounds: maxRounds, directDestination: directDestination, verify: verify)
        configuration.onUntrusted = onUntrusted
        return configuration
    }

    /// A plain sequential copy of the source to a scratch file next to the
    /// destination, under the same writers; bytes per second.
    private func sequentialBaseline(from sourcePath: String, bytes: UInt64) throws -> Double {
        let scratch = destination + ".sequential"
        defer { unlink(scratch) }
        let source = try BlockFile(path: sourcePath, access: .read)
        let target = try BlockFile(path: scratch, access: .write(byteCount: bytes), preferDirect: directDestination)
        let nanoseconds = try SequentialCopy.copy(from: source, to: target, byteCount: bytes, chunkBytes: checkedInt(chunkSize, "--chunk-size"))
        return Double(bytes) / (Double(nanoseconds) / 1e9)
    }
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
