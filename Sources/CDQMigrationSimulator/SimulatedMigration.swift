import CDQEngine
import CDQMigration
import CDQNVMe
import CDQSimulator
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What a simulated migration runs against: one migratable controller
/// whose file-backed namespace random writers keep changing.
public struct SimulatedMigrationSetup: Sendable {
    /// Namespace size in bytes (a multiple of `lbaSize`).
    public var namespaceBytes: UInt64
    public var lbaSize: Int = 512
    /// Where the namespace file lives (`ns1.img`).
    public var directory: String
    public var writers: Int = 4
    /// Writes per second of all writers together.
    public var writesPerSecond: Double = 20_000
    /// 80/20 hot spot instead of uniform writes.
    public var skew = false
    public var seed: UInt64 = 1
    /// Entries of the controller's user data migration queue.
    public var queueEntries: UInt32 = 4096
    /// How the simulated controller spends time on admin commands (docs/simulator.md).
    public var adminCost = AdminCost.free
    /// Write every block once before the migration (logging off), so the
    /// bulk copy moves data rather than reading the holes of a sparse file.
    public var prefill = true

    public init(namespaceBytes: UInt64, directory: String) {
        self.namespaceBytes = namespaceBytes
        self.directory = directory
    }

    var problem: String? {
        if namespaceBytes == 0 || namespaceBytes % UInt64(lbaSize) != 0 {
            return "namespace size \(namespaceBytes) is not a positive multiple of \(lbaSize) bytes"
        }
        if !(0...64).contains(writers) { return "writers must be 0...64" }
        if writers > 0 && !(writesPerSecond.isFinite && writesPerSecond > 0) { return "write rate must be a positive number" }
        if let tooFew = ControllerDataQueue.tooFewEntries(queueEntries) { return tooFew }
        if queueEntries > 65_536 { return "queue entries must be at most 65536" }
        if let problem = adminCost.problem { return problem }
        return nil
    }
}

/// A whole simulated migration: the subsystem, its controller thread, an
/// engine, the source's queue and the writers, set up at init; `migrate`
/// runs a `Migrator` while the writers write, then stops them.
///
/// The writers stamp every block with its LBA, so the namespace is not
/// all zeroes and a wrong copy shows.
public final class SimulatedMigration {
    public let setup: SimulatedMigrationSetup
    public let subsystem: SimulatedSubsystem
    public let runner: ControllerRunner
    public let engine: Engine
    public let source: AttachedMigrationSource
    /// The namespace's backing file: what the copy engine reads.
    public let sourcePath: String
    public private(set) var writers: [WorkloadGenerator] = []

    public init(_ setup: SimulatedMigrationSetup) throws(MigrationError) {
        if let problem = setup.problem { throw .configuration(problem) }
        self.setup = setup
        do {
            subsystem = try SimulatedSubsystem(SubsystemConfiguration(
                migratableControllers: 1, namespaceCapacity: setup.namespaceBytes / UInt64(setup.lbaSize),
                lbaSize: setup.lbaSize, backing: .files(directory: setup.directory)))
            runner = try ControllerRunner(subsystem: subsystem, adminCost: setup.adminCost)
            try runner.start()
            engine = try Engine(EngineConfiguration(maximumQueues: 4))
        } catch {
            throw .system(error)
        }
        let transport: SimulatorTransport
        do { transport = SimulatorTransport(channel: try runner.openChannel(depth: 64)) } catch { throw .system(error) }
        guard case .file(let path) = subsystem.controllers[0].namespaces[0].backing else {
            throw .configuration("the simulated namespace is not file backed; the copy engine reads a file")
        }
        sourcePath = path
        source = try AttachedMigrationSource(
            engine: engine, backend: SimulatedQueueBackend(subsystem: subsystem, transport: transport),
            cntlid: 1, nsid: subsystem.controllers[0].namespaces[0].nsid, entries: setup.queueEntries,
            capacity: setup.namespaceBytes / UInt64(setup.lbaSize))
        if setup.prefill { try prefill() }
    }

    /// Writes the namespace front to back in 1 MiB stamped writes.
    private func prefill() throws(MigrationError) {
        try Self.prefill(controller, nsid: source.nsid, capacity: capacity, lbaSize: setup.lbaSize, seed: setup.seed)
    }

    /// Writes `capacity` blocks of `target`'s namespace `nsid` front to
    /// back in 1 MiB stamped writes, stopping at the first that fails: on a
    /// filesystem too small for the namespace every later write would fail
    /// too, one slow error at a time.
    static func prefill(_ target: any IOTarget, nsid: UInt32, capacity: UInt64, lbaSize: Int, seed: UInt64) throws(MigrationError) {
        let blocks = UInt32(min(capacity, UInt64((1 << 20) / lbaSize)))
        let writer = WorkloadGenerator(
            target: target, nsid: nsid, capacity: capacity, lbaSize: lbaSize,
            spec: WorkloadSpec(pattern: .sequential, blockSizes: [BlockSizeWeight(blockCount: blocks, weight: 1)],
                               seed: seed))
        let operations = (capacity + UInt64(blocks) - 1) / UInt64(blocks)
        for written in 0 ..< operations where writer.run(operations: 1).errors > 0 {
            throw .configuration("prefilling the simulated namespace failed at byte \(written * UInt64(blocks) * UInt64(lbaSize)) "
                + "(write \(written + 1) of \(operations)); is there room for the namespace file?")
        }
    }

    deinit {
        stopWriters()
        // Before the engine and the controller thread stop: detaching talks to both.
        source.release()
        engine.shutdown()
        runner.stop()
    }

    public var capacity: UInt64 { setup.namespaceBytes / UInt64(setup.lbaSize) }
    public var controller: SimulatedController { subsystem.controllers[0] }

    /// Starts the writers (each a thread with its own seeded stream).
    public func startWriters() throws(MigrationError) {
        let rate = setup.writesPerSecond / Double(max(1, setup.writers))
        for index in 0 ..< setup.writers {
            let pattern: WorkloadPattern = setup.skew ? .hotSpot(hotFraction: 0.2, hotProbability: 0.8) : .uniform
            let writer = WorkloadGenerator(
                target: controller, nsid: source.nsid, capacity: capacity, lbaSize: setup.lbaSize,
                spec: WorkloadSpec(pattern: pattern, writesPerSecond: rate, seed: setup.seed &+ UInt64(index)))
            do { try writer.start() } catch { throw .system(error) }
            writers.append(writer)
        }
    }

    /// Stops the writers; returns the writes that succeeded.
    @discardableResult
    public func stopWriters() -> UInt64 {
        let total = writers.reduce(0) { $0 + $1.stop().operations }
        return total
    }

    /// A migrator of this namespace to `destination`, to run on the calling
    /// thread (`migrate` does that; take one to keep a handle for `cancel()`).
    public func migrator(
        to destination: String, configuration: MigrationConfiguration = MigrationConfiguration()
    ) throws(MigrationError) -> Migrator {
        try Migrator(
            controller: source, sourcePath: sourcePath, destinationPath: destination,
            lbaSize: setup.lbaSize, capacity: capacity, configuration: configuration)
    }

    /// Migrates the namespace to `destination` while the writers run (they
    /// are started if not yet), then stops them.
    public func migrate(
        to destination: String, configuration: MigrationConfiguration = MigrationConfiguration(),
        progress: @escaping (MigrationProgress) -> Void = { _ in }
    ) throws(MigrationError) -> MigrationReport {
        if writers.isEmpty && setup.writers > 0 { try startWriters() }
        defer { stopWriters() }
        return try migrator(to: destination, configuration: configuration).run(progress: progress)
    }
}
