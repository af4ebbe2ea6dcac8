/// How the managing controller's firmware spends time on admin commands
/// (docs/simulator.md, "Admin cost model").
///
/// Real controllers serve admin commands in tens of microseconds, one at a
/// time, through one admin queue of bounded depth that every CDQ of the
/// controller shares; each tail pointer event also costs an Asynchronous
/// Event Request that the kernel resubmits. `.free` (both times 0) is the
/// simulator without that cost: every command completes as soon as the
/// controller thread sees it.
public struct AdminCost: Sendable, Equatable {
    /// Linux gives a controller's admin queue 32 tags.
    public static let defaultDepth = 32
    /// Longest latency or service time accepted: one second.
    public static let maximumNanoseconds: UInt64 = 1_000_000_000
    /// Most admin slots accepted.
    public static let maximumDepth = 4096

    /// From a command's admission into a slot to its completion, not
    /// counting the wait for a slot.
    public var latencyNanoseconds: UInt64
    /// How long the controller serves one command, during which it serves no other.
    public var serviceNanoseconds: UInt64
    /// Admin slots shared by every channel (every CDQ) of the controller.
    public var depth: Int

    public init(latencyNanoseconds: UInt64 = 0, serviceNanoseconds: UInt64 = 0, depth: Int = AdminCost.defaultDepth) {
        self.latencyNanoseconds = latencyNanoseconds
        self.serviceNanoseconds = serviceNanoseconds
        self.depth = depth
    }

    /// Both times in microseconds, as the command-line options take them.
    public init(latencyMicroseconds: Double, serviceMicroseconds: Double, depth: Int = AdminCost.defaultDepth) {
        self.init(latencyNanoseconds: Self.nanoseconds(latencyMicroseconds),
                  serviceNanoseconds: Self.nanoseconds(serviceMicroseconds), depth: depth)
    }

    /// No cost: the simulator as it behaves without the model.
    public static let free = AdminCost()

    /// Both times 0: commands complete as soon as they are seen.
    public var isFree: Bool { latencyNanoseconds == 0 && serviceNanoseconds == 0 }

    /// Why this cost cannot be simulated, or nil when it can.
    public var problem: String? {
        if !(1...Self.maximumDepth).contains(depth) { return "admin queue depth must be 1...\(Self.maximumDepth), not \(depth)" }
        if latencyNanoseconds > Self.maximumNanoseconds { return "admin latency must be at most 1 s" }
        if serviceNanoseconds > Self.maximumNanoseconds { return "admin service time must be at most 1 s" }
        return nil
    }

    /// Why a time in microseconds is not accepted, or nil (`name` names the option).
    public static func problem(microseconds: Double, name: String) -> String? {
        guard microseconds.isFinite, microseconds >= 0 else { return "\(name) must be a number of microseconds >= 0" }
        guard microseconds <= Double(maximumNanoseconds) / 1000 else { return "\(name) must be at most 1000000 (1 s)" }
        return nil
    }

    private static func nanoseconds(_ microseconds: Double) -> UInt64 {
        guard microseconds.isFinite, microseconds > 0 else { return 0 }
        return UInt64(min(microseconds * 1000, Double(UInt64.max / 2)).rounded())
    }
}
