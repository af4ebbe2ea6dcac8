import Histogram

/// How long entries wait between the wake-up that announced them (the
/// readiness CQE of their queue's eventfd) and their delivery into the
/// consumer's ring: the engine's share of the wake-up-to-consumer latency.
public struct WakeupLatency: Sendable, Equatable {
    /// Wake-ups measured.
    public var count: UInt64
    /// Percentiles and maximum, in microseconds.
    public var p50: Double
    public var p99: Double
    public var p999: Double
    public var maximum: Double

    static let empty = WakeupLatency(count: 0, p50: 0, p99: 0, p999: 0, maximum: 0)

    /// A histogram in nanoseconds, 1 % precision, up to ten seconds: a few
    /// thousand counters, allocated once by the loop.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)
    }

    init(count: UInt64, p50: Double, p99: Double, p999: Double, maximum: Double) {
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.maximum = maximum
    }

    init(_ histogram: Histogram<UInt64>) {
        func micros(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }
        count = histogram.totalCount
        p50 = micros(histogram.valueAtPercentile(50))
        p99 = micros(histogram.valueAtPercentile(99))
        p999 = micros(histogram.valueAtPercentile(99.9))
        maximum = micros(histogram.max)
    }
}
