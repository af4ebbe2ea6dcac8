/// Spaces a workload's operations at a fixed rate: a token bucket on the
/// nanoseconds since the workload started.
///
/// Operation n is due n intervals after the start. Before each operation
/// the generator asks `delayBeforeNext(now:)`: zero means go (and counts
/// the operation), anything else is how long to sleep first. A caller that
/// fell behind (a stall, a slow target, a late wake-up; sleeping is never
/// precise at microsecond scale) sends the operations already due back to
/// back, but at most `maximumBurst` of them: older debt is forgotten, so a
/// long stall does not turn into a flood the target never asked for.
///
/// Pure arithmetic on the times it is given, so it is tested without a
/// clock.
public struct WorkloadPacer: Sendable {
    /// Enough to absorb sleep overshoot (tens of microseconds) at a million
    /// operations per second, small enough that a stall costs at most this
    /// many operations in one burst.
    public static let defaultMaximumBurst = 256

    /// Nanoseconds between two operations: 10^9 / rate.
    public let intervalNanoseconds: Double
    public let maximumBurst: Int
    /// How far behind `now` the schedule may lag: (burst - 1) intervals, so
    /// that a burst is exactly `maximumBurst` operations.
    private let lagLimit: Double
    /// When the next operation is due, in nanoseconds since the start.
    private var due = 0.0

    /// - Precondition: `operationsPerSecond` is finite and positive,
    ///   `maximumBurst >= 1`.
    public init(operationsPerSecond: Double, maximumBurst: Int = defaultMaximumBurst) {
        precondition(operationsPerSecond.isFinite && operationsPerSecond > 0, "rate must be positive")
        precondition(maximumBurst >= 1, "a burst is at least one operation")
        intervalNanoseconds = 1e9 / operationsPerSecond
        self.maximumBurst = maximumBurst
        lagLimit = Double(maximumBurst - 1) * intervalNanoseconds
    }

    /// 0 when an operation may be issued at `now` (nanoseconds since the
    /// start; never decreasing), which is then counted as issued; otherwise
    /// the nanoseconds until the next one is due.
    public mutating func delayBeforeNext(now: UInt64) -> UInt64 {
        let now = Double(now)
        // Capped so that absurdly slow rates cannot overflow the conversion.
        if due > now { return UInt64(min(due - now, 1e18).rounded(.up)) }
        due = max(due, now - lagLimit) + intervalNanoseconds
        return 0
    }
}
