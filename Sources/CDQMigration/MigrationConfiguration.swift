import Logging
import CoreMetrics

/// How a `Migrator` runs: the copy engine's shape and the pre-copy stop rules.
public struct MigrationConfiguration: Sendable {
    public var copier: CopierConfiguration
    /// Dirty ranges are rounded out to this many bytes (a power of two, at
    /// least one block). 4 KiB, the direct I/O unit, by default: under
    /// random small writes a coarser unit re-copies far more than was
    /// written and the rounds stop converging (docs/migration.md); a hot
    /// spot of small writes is where 64 KiB pays.
    public var granularityBytes: Int
    /// Stop iterating once the dirty backlog is at most this many bytes:
    /// what is left is copied while the controller is suspended.
    public var backlogThresholdBytes: UInt64
    /// Stop iterating after this many rounds even if the backlog still shrinks.
    public var maximumRounds: Int
    /// Ask for `O_DIRECT` on the destination (granted when the filesystem allows it).
    public var directDestination: Bool
    /// Ask for `O_DIRECT` on the source. Off for the simulator, whose
    /// namespace file is written through the page cache.
    public var directSource: Bool
    /// Compare per-chunk checksums of source and destination at the end.
    public var verify: Bool
    /// How long to wait for the LAST (suspended) entry after a suspend was
    /// accepted; past it the final copy covers the whole namespace.
    public var lastEntryTimeoutNanoseconds: UInt64
    /// How often progress is reported while copying.
    public var progressIntervalNanoseconds: UInt64
    /// What a record that cannot be applied exactly does (it is counted either way).
    public var onUntrusted: UntrustedEntryPolicy = .resync
    /// Where the migration's events go (swift-log): each phase, the end,
    /// a failure. nil: `Logger(label: "cdq.migration")`, the backend of
    /// `LoggingSystem.bootstrap`.
    public var logger: Logger?
    /// Where its figures go (swift-metrics); nil: `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?

    public init(
        copier: CopierConfiguration = CopierConfiguration(), granularityBytes: Int = 4096,
        backlogThresholdBytes: UInt64 = 8 << 20, maximumRounds: Int = 10,
        directDestination: Bool = true, directSource: Bool = false, verify: Bool = false,
        lastEntryTimeoutNanoseconds: UInt64 = 2_000_000_000, progressIntervalNanoseconds: UInt64 = 100_000_000
    ) {
        self.copier = copier
        self.granularityBytes = granularityBytes
        self.backlogThresholdBytes = backlogThresholdBytes
        self.maximumRounds = maximumRounds
        self.directDestination = directDestination
        self.directSource = directSource
        self.verify = verify
        self.lastEntryTimeoutNanoseconds = lastEntryTimeoutNanoseconds
        self.progressIntervalNanoseconds = progressIntervalNanoseconds
    }
}

/// Where a migration is, for a progress display.
public struct MigrationProgress: Sendable {
    public enum Phase: Sendable, Equatable {
        case bulk
        case round(Int)
        case suspended
        case verifying
    }

    public var phase: Phase
    /// Bytes copied in this phase and the phase's total.
    public var copiedBytes: UInt64
    public var phaseBytes: UInt64
    /// Bytes logged dirty and not yet copied.
    public var dirtyBacklogBytes: UInt64
}

/// What a migration did.
public struct MigrationReport: Sendable {
    /// Dirty rounds copied while the controller ran.
    public var rounds = 0
    public var bulkBytes: UInt64 = 0
    /// Bytes copied again after the bulk copy: every round plus the final copy.
    public var recopiedBytes: UInt64 = 0
    /// Bytes copied while suspended.
    public var finalBytes: UInt64 = 0
    /// Bytes the controller logged as changed (sum of entry ranges).
    public var loggedBytes: UInt64 = 0
    /// Change entries read.
    public var loggedEntries: UInt64 = 0
    /// Overflow events (and whole-namespace entries) that forced a full re-copy.
    public var overflowEvents = 0
    public var overflowed: Bool { overflowEvents > 0 }
    /// Records that could not be applied exactly, by kind (`RecordProblem`
    /// names, and `other_queue`, `unexpected_first`, `unexpected_last`):
    /// each made the whole namespace dirty.
    public var untrustedEntries: [String: Int] = [:]
    public var untrustedEntryCount: Int { untrustedEntries.values.reduce(0, +) }
    /// True when the LAST entry did not arrive and the final copy covered everything.
    public var lastEntryMissing = false
    /// True when the LAST entry could not arrive (the queue was full at
    /// the suspend) and the migrator went on as soon as the engine had read
    /// the queue to its end and Migration Receive confirmed the suspend,
    /// instead of waiting out `lastEntryTimeoutNanoseconds`.
    public var suspendConfirmedByControllerState = false
    /// Suspend to final copy durable.
    public var downtimeNanoseconds: UInt64 = 0
    public var bulkNanoseconds: UInt64 = 0
    public var totalNanoseconds: UInt64 = 0
    /// nil when verification was not asked for.
    public var verified: Bool?
    public var registeredBuffers = false
    public var directSource = false
    public var directDestination = false
    /// A file, a block device or an NBD export.
    public var destinationKind = DestinationKind.file
    /// Why the pre-copy rounds stopped.
    public var stopReason = ""

    public var bulkBytesPerSecond: Double {
        bulkNanoseconds == 0 ? 0 : Double(bulkBytes) / (Double(bulkNanoseconds) / 1e9)
    }
    /// Re-copied bytes per logged byte: the price of granularity and of overflows.
    public var recopiedPerLoggedByte: Double { loggedBytes == 0 ? 0 : Double(recopiedBytes) / Double(loggedBytes) }
}

extension MigrationConfiguration {
    /// Why this configuration cannot migrate a namespace of `lbaSize`-byte
    /// blocks, or nil. A `Migrator` asks before it opens anything, so a bad
    /// setting never leaves a destination resized or written.
    public func problem(lbaSize: Int) -> String? {
        if let problem = copier.problem { return problem }
        guard granularityBytes >= lbaSize, granularityBytes & (granularityBytes - 1) == 0 else {
            return "granularity \(granularityBytes) is not a power of two of at least one block (\(lbaSize) bytes)"
        }
        guard maximumRounds >= 0 else { return "maximum rounds must not be negative" }
        return nil
    }
}
