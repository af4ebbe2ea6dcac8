import CDQEngine
import CDQNVMe
import CDQUring

/// Live migration of one namespace by pre-copy (docs/migration.md):
///
/// 1. start logging; 2. copy every byte (bulk); 3. copy what the CDQ says
/// changed meanwhile, round after round, until the backlog is small, stops
/// shrinking, or the round limit is hit; 4. suspend the controller and
/// read its queue up to the LAST entry; 5. copy the last dirty set; the
/// downtime is 4 to 5, destination made durable included; 6. optionally
/// compare checksums. The destination is flushed (`fdatasync`) after the
/// bulk copy and every round, so that the flush inside the downtime covers
/// only the final copy.
///
/// Create it and `run` it on the same thread (the copier's ring is bound to
/// the thread that creates it). That thread owns the ring and is the
/// only reader of the controller's consumer: between completions the copy
/// loop drains the records into the dirty map, so no lock is taken and the
/// consumer ring never stalls the engine for long.
public final class Migrator: @unchecked Sendable {
    // @unchecked: one thread creates and runs it; `cancel()`, the only call
    // allowed from other threads, touches nothing but a lock.
    public let controller: any MigrationController
    public let configuration: MigrationConfiguration
    public let lbaSize: Int
    /// Blocks in the namespace.
    public let capacity: UInt64
    private let copier: Copier
    private var map: DirtyExtentMap
    private var report = MigrationReport()
    private let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 1024)
    private(set) var sawLast = false
    /// An overflow was read and no entry since: the queue may still be
    /// full, so changes may still be getting lost (see `takeRound`).
    private(set) var overflowUnsettled = false
    /// How each record is read (RecordReader.swift).
    private var reader: RecordReader
    /// Set while applying records; thrown at the next step or I/O batch.
    private var failure: MigrationError?
    private var progress: (MigrationProgress) -> Void = { _ in }
    /// Logs and metrics (MigrationTelemetry.swift).
    private let telemetry: MigrationTelemetry
    private var lastProgress: UInt64 = 0
    private var ran = false
    /// Set by `cancel()` from any thread; read by the migrating thread.
    private let cancelRequested = Locked(false)

    /// Checks the configuration, then opens the source (read only: a
    /// migration never writes it) and the destination (`openDestination`):
    /// a file or block device, locked against other migrations and sized to
    /// the namespace only once nothing else can fail, or an NBD URI.
    public convenience init(
        controller: any MigrationController, sourcePath: String, destinationPath: String,
        lbaSize: Int, capacity: UInt64, configuration: MigrationConfiguration = MigrationConfiguration()
    ) throws(MigrationError) {
        try self.init(controller: controller, sourcePath: sourcePath, lbaSize: lbaSize, capacity: capacity, configuration: configuration) {
            bytes, alignable throws(MigrationError) in
            try openDestination(destinationPath, byteCount: bytes, preferDirect: configuration.directDestination && alignable)
        }
    }

    /// Opens the source (read only) and copies to `destination`, already
    /// open (an NBD export, or a file opened by the caller); it must hold
    /// at least the namespace.
    public convenience init(
        controller: any MigrationController, sourcePath: String, destination: any CopyDestination,
        lbaSize: Int, capacity: UInt64, configuration: MigrationConfiguration = MigrationConfiguration()
    ) throws(MigrationError) {
        try self.init(controller: controller, sourcePath: sourcePath, lbaSize: lbaSize, capacity: capacity,
                      configuration: configuration) { _, _ in destination }
    }

    /// `openDestination` gets the namespace's bytes and whether direct I/O could be aligned.
    private init(
        controller: any MigrationController, sourcePath: String, lbaSize: Int, capacity: UInt64,
        configuration: MigrationConfiguration, openDestination: (UInt64, Bool) throws(MigrationError) -> any CopyDestination
    ) throws(MigrationError) {
        let granularity = configuration.granularityBytes
        guard lbaSize > 0, lbaSize & (lbaSize - 1) == 0, capacity > 0 else {
            throw .configuration("namespace geometry \(capacity) blocks of \(lbaSize) bytes is not usable")
        }
        // Every setting before the destination is opened: a bad one never resizes it.
        if let problem = configuration.problem(lbaSize: lbaSize) { throw .configuration(problem) }
        let bytes = capacity * UInt64(lbaSize)
        // Direct I/O only where every transfer can be aligned.
        let alignable = bytes % BlockFile.directAlignment == 0 && UInt64(granularity) % BlockFile.directAlignment == 0
        do {
            let source = try BlockFile(path: sourcePath, access: .read, preferDirect: configuration.directSource && alignable)
            guard source.byteCount >= bytes else {
                throw MigrationError.configuration("source \(sourcePath) holds \(source.byteCount) bytes, the namespace \(bytes)")
            }
            let destination = try openDestination(bytes, alignable)
            copier = try Copier(source: source, destination: destination, configuration: configuration.copier)
            // Sized only once the copy engine exists: nothing that can still fail comes after.
            if let file = destination as? BlockFile { try file.resize(to: bytes) }
            guard destination.byteCount >= bytes else {
                throw MigrationError.configuration("destination \(destination.path) holds \(destination.byteCount) bytes, the namespace \(bytes)")
            }
        } catch let error as SystemError {
            throw .system(error)
        } catch let error as MigrationError {
            throw error
        } catch {
            throw .configuration("\(error)")
        }
        self.controller = controller
        self.configuration = configuration
        telemetry = MigrationTelemetry(configuration: configuration, labels: controller.labels)
        self.lbaSize = lbaSize
        self.capacity = capacity
        map = DirtyExtentMap(capacity: capacity, granularity: UInt64(granularity / lbaSize))
        reader = RecordReader(cdqid: controller.cdqid, nsid: controller.nsid, capacity: capacity, convention: controller.convention)
        report.registeredBuffers = copier.registeredBuffers
        report.directSource = copier.source.direct
        report.directDestination = copier.destination.direct
        report.destinationKind = copier.destination.kind
    }

    deinit { records.deallocate() }

    /// Runs the migration. On any failure, a failed verification included,
    /// the controller is resumed (if it was suspended), logging stops, the
    /// queue is deleted, and the error says what failed and what was
    /// undone; the source is never written.
    public func run(progress: @escaping (MigrationProgress) -> Void = { _ in }) throws(MigrationError) -> MigrationReport {
        guard !ran else { throw .configuration("a migrator runs once; create a new one") }
        ran = true
        self.progress = progress
        let start = MonotonicClock.nanoseconds()
        do {
            reader.firstsExpected += 1
            try controller.startLogging()
            try bulkCopy()
            try preCopyRounds()
            makeRoomForLast()
            try checkCancelled()
            let suspendStart = MonotonicClock.nanoseconds()
            reader.suspendRequested = true
            telemetry.suspending()
            try controller.suspend()
            try confirmSuspended("before the final copy")
            try finalCopy()
            try confirmSuspended("after the final copy")
            report.downtimeNanoseconds = MonotonicClock.nanoseconds() - suspendStart
            try checkCancelled()
            // A destination that differs is no migration: the source resumes.
            if configuration.verify { try verify() }
        } catch {
            let failure = undo(error)
            telemetry.failed(failure)
            throw failure
        }
        report.totalNanoseconds = MonotonicClock.nanoseconds() - start
        telemetry.finished(report)
        return report
    }

    /// Asks a running migration to stop, from any thread (a signal
    /// watcher, a control plane): no new chunk starts, the chunks in flight
    /// finish, and `run` undoes what it did, as for any failure (the
    /// controller resumed if it was suspended, logging stopped, the queue
    /// deleted), then throws `.abandoned(.cancelled, ...)`.
    public func cancel() {
        cancelRequested.withLock { $0 = true }
    }

    /// Why the migration must stop now: a record that ended it, or `cancel()`.
    private var cancellation: MigrationError? {
        failure ?? (cancelRequested.withLock { $0 } ? .cancelled : nil)
    }

    func checkCancelled() throws(MigrationError) {
        if let cancellation { throw cancellation }
    }

    private func undo(_ error: any Error) -> MigrationError {
        let undone = controller.abandon()
        let base: MigrationError = switch error {
        case let error as MigrationError: error
        case let error as SystemError: .system(error)
        default: .configuration("\(error)")
        }
        return .abandoned(base, undone: undone)
    }

    // MARK: Steps

    private func bulkCopy() throws {
        let bytes = capacity * UInt64(lbaSize)
        let start = MonotonicClock.nanoseconds()
        report.bulkBytes = try copy([ByteRange(offset: 0, count: bytes)], phase: .bulk)
        report.bulkNanoseconds = MonotonicClock.nanoseconds() - start
        try copier.destination.makeDurable()
    }

    /// Dirty rounds while the controller runs; records why they stopped.
    private func preCopyRounds() throws {
        var previous = UInt64.max
        while true {
            try checkCancelled()
            drain()
            let backlog = map.dirtyBlocks * UInt64(lbaSize)
            if backlog <= configuration.backlogThresholdBytes {
                report.stopReason = "backlog \(backlog) bytes at most the threshold"
                return
            }
            if backlog >= previous && !map.everythingDirty {
                report.stopReason = "backlog stopped shrinking at \(backlog) bytes"
                return
            }
            if report.rounds >= configuration.maximumRounds {
                report.stopReason = "\(report.rounds) rounds, the maximum"
                return
            }
            report.rounds += 1
            previous = backlog
            report.recopiedBytes += try copy(byteRanges(takeRound()), phase: .round(report.rounds))
            // Flushed while the guest runs, so the downtime flushes only the final copy.
            try copier.destination.makeDurable()
        }
    }

    /// With the controller suspended: read its queue up to the LAST entry,
    /// copy what is dirty, make the destination durable.
    private func finalCopy() throws {
        let scansAtSuspend = (controller as? SuspendedQueueObserver)?.queueScans
        let deadline = MonotonicClock.nanoseconds() + configuration.lastEntryTimeoutNanoseconds
        while !sawLast && failure == nil && MonotonicClock.nanoseconds() < deadline {
            try checkCancelled()
            controller.consumer.wait(timeoutNanoseconds: 10_000_000)
            drain()
            if !sawLast && lastEntryCannotArrive(scansAtSuspend: scansAtSuspend) {
                report.suspendConfirmedByControllerState = true
                break
            }
        }
        try checkCancelled()
        if !sawLast {
            // Changes may be logged and unread; nothing changes any more, so copying everything is exact.
            report.lastEntryMissing = true
            map.markEverythingDirty()
        }
        controller.detachAfterSuspend()
        let ranges = byteRanges(takeRound())
        do throws(MigrationError) { report.finalBytes = try copy(ranges, phase: .suspended) } catch {
            guard case .io(let place, let system) = error else { throw error }
            throw MigrationError.io(place + SuspendedSnapshot.whileSuspended, system)
        }
        report.recopiedBytes += report.finalBytes
        try copier.destination.makeDurable()
        // A record read during the final copy may still end the migration (abort).
        if let failure { throw failure }
    }

    /// The final copy is a snapshot only while the controller stays
    /// suspended; if it says otherwise the copy may have missed writes.
    private func confirmSuspended(_ when: String) throws(MigrationError) {
        guard try controller.isSuspended() else {
            throw .controller(SuspendedSnapshot.notSuspended(when: when))
        }
    }

    private func verify() throws(MigrationError) {
        let bytes = capacity * UInt64(lbaSize)
        publish(MigrationProgress(phase: .verifying, copiedBytes: 0, phaseBytes: bytes, dirtyBacklogBytes: 0))
        let verifier = Verifier(chunkBytes: configuration.copier.chunkBytes)
        let source = try verifier.checksums(copier.source, byteCount: bytes) { self.cancellation }
        let destination = try verifier.checksums(copier.destination, byteCount: bytes) { self.cancellation }
        if let chunk = source.indices.first(where: { source[$0] != destination[$0] }) ?? (source.count == destination.count ? nil : 0) {
            report.verified = false
            throw .verification("\(copier.destination.path) differs from \(copier.source.path) in bytes "
                + "\(chunk * configuration.copier.chunkBytes)..<\((chunk + 1) * configuration.copier.chunkBytes)")
        }
        report.verified = true
    }

    // MARK: Helpers

    private func copy(_ ranges: [ByteRange], phase: MigrationProgress.Phase) throws(MigrationError) -> UInt64 {
        let total = ranges.reduce(0) { $0 + $1.count }
        announce(phase, copied: 0, of: total, force: true)
        let copied = try copier.copy(ranges, between: {
            drain()
            announce(phase, copied: copier.bytesCopied, of: total, force: false)
        }, stop: { cancellation })
        announce(phase, copied: copied, of: total, force: true)
        return copied
    }

    private func announce(_ phase: MigrationProgress.Phase, copied: UInt64, of total: UInt64, force: Bool) {
        let now = MonotonicClock.nanoseconds()
        guard force || now - lastProgress >= configuration.progressIntervalNanoseconds else { return }
        lastProgress = now
        publish(MigrationProgress(phase: phase, copiedBytes: copied, phaseBytes: total,
                                  dirtyBacklogBytes: map.dirtyBlocks * UInt64(lbaSize)))
    }

    /// To the caller's progress callback and to the logs and metrics.
    private func publish(_ progress: MigrationProgress) {
        telemetry.progress(progress)
        self.progress(progress)
    }

    /// A round's work. After an overflow, changes are lost from the ESA 7
    /// entry until the host's head update frees the queue, and the host
    /// learns that it did only from the next entry. A full copy that starts
    /// before that entry may read a block before a lost change to it, so
    /// the map stays "everything dirty" for the round after as well.
    /// A logging gap (an unexpected LAST, no FIRST since) is the same:
    /// changes go unlogged, so every round copies everything until it closes.
    private func takeRound() -> [Extent] {
        let extents = map.take()
        if overflowUnsettled || reader.loggingGap { map.markEverythingDirty() }
        return extents
    }

    private func byteRanges(_ extents: [Extent]) -> [ByteRange] {
        extents.map { ByteRange(offset: $0.start * UInt64(lbaSize), count: $0.blockCount * UInt64(lbaSize)) }
    }

    /// Moves every waiting record into the dirty map.
    func drain() {
        while true {
            let count = controller.consumer.pop(into: records)
            if count == 0 { return }
            for record in records.prefix(count) { apply(record) }
        }
    }

    private func apply(_ record: CDQRecord) {
        let verdict = reader.read(record)
        if case .overflow = verdict {} else {
            // Any entry after the overflow was posted into a queue with room again.
            overflowUnsettled = false
        }
        switch verdict {
        case .change(let entry):
            report.loggedEntries += 1
            report.loggedBytes += entry.blockCount(convention: controller.convention) * UInt64(lbaSize)
            if !map.apply(entry, convention: controller.convention) { untrusted(RecordProblem.rangePastCapacity.name) }
        case .wholeNamespace:
            report.loggedEntries += 1
            report.overflowEvents += 1
            map.markEverythingDirty()
        case .overflow:
            report.overflowEvents += 1
            overflowUnsettled = true
            map.markEverythingDirty()
        case .expectedFirst, .afterTheEnd:
            break
        case .expectedLast:
            sawLast = true
        case .untrusted(let kind):
            untrusted(kind)
        case .queueLost(let loss):
            failure = failure ?? .queueLost(loss?.description ?? "reason unknown")
        }
    }

    /// Never skipped silently: counted by kind, and everything is copied
    /// again (or, with `.abort`, the migration stops).
    private func untrusted(_ kind: String) {
        report.untrustedEntries[kind, default: 0] += 1
        map.markEverythingDirty()
        if configuration.onUntrusted == .abort { failure = failure ?? .untrusted(kind) }
    }
}
