@testable import CDQEngine
import Testing

/// The loop publishes its latency histogram by sharing it, then makes its
/// own copy at once with a zero-count record of 0 (so the copy
/// is not made on the way to a delivery). That record must change no
/// figure a reader sees.
@Suite struct LatencyPublicationTests {
    @Test func aZeroCountRecordOfZeroChangesNoFigure() {
        var histogram = WakeupLatency.makeHistogram()
        for value: UInt64 in [800, 1_200, 1_500, 9_000, 40_000, 2_000_000] { _ = histogram.record(value) }
        let published = histogram
        let before = WakeupLatency(published)
        _ = histogram.record(0, count: 0)
        #expect(WakeupLatency(histogram) == before)
        #expect(histogram.min == published.min && histogram.max == published.max)
        // The published copy is untouched by what the loop records next.
        _ = histogram.record(5_000_000)
        #expect(WakeupLatency(published) == before)
        #expect(WakeupLatency(histogram).count == before.count + 1)
    }
}
