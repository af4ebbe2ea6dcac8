import CCDQ

/// How a ring was set up, after probing what the running kernel accepts.
///
/// `SINGLE_ISSUER | DEFER_TASKRUN` is the fastest mode for a ring that one
/// thread owns (completions are processed only when that thread enters the
/// kernel, so no interrupts of unrelated work), but kernels before 6.1 reject
/// it with `EINVAL`. `COOP_TASKRUN` (5.19) is the next best; the plain mode
/// works on any kernel with io_uring.
public enum RingMode: String, Sendable, CaseIterable {
    case singleIssuerDeferTaskrun = "SINGLE_ISSUER|DEFER_TASKRUN"
    case coopTaskrun = "COOP_TASKRUN"
    case plain = "plain"

    /// Setup flags this mode adds to the entry-size flags.
    var flags: UInt32 {
        switch self {
        case .singleIssuerDeferTaskrun:
            UInt32(IORING_SETUP_SINGLE_ISSUER) | UInt32(IORING_SETUP_DEFER_TASKRUN)
        case .coopTaskrun:
            UInt32(IORING_SETUP_COOP_TASKRUN) | UInt32(IORING_SETUP_TASKRUN_FLAG)
        case .plain:
            0
        }
    }

    /// With DEFER_TASKRUN, completions are posted only while the owner is in
    /// `io_uring_enter` with GETEVENTS, so a non-blocking peek must enter first.
    var needsEnterToReap: Bool { self == .singleIssuerDeferTaskrun }
}

/// What a ring is asked for at creation.
public struct RingConfiguration: Sendable {
    /// Submission queue entries (the kernel rounds up to a power of two).
    public var entries: UInt32
    /// 128-byte SQEs and 32-byte CQEs, required by NVMe `IORING_OP_URING_CMD`.
    public var bigEntries: Bool
    /// Modes to try, best first; the first one the kernel accepts is used.
    public var modes: [RingMode]

    public init(entries: UInt32 = 256, bigEntries: Bool = true, modes: [RingMode] = RingMode.allCases) {
        self.entries = entries
        self.bigEntries = bigEntries
        self.modes = modes
    }
}
