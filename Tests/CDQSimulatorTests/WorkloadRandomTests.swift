import CDQTestSupport
import CDQSimulator
import Testing

@Suite struct WorkloadRandomTests {
    // Pinned so a change to the generator cannot silently change every
    // workload's operations: these are SplitMix64's values for the seed.
    @Test func matchesSplitMix64ReferenceValues() {
        var random = WorkloadRandom(seed: 1_234_567)
        #expect(random.next() == 6_457_827_717_110_365_317)
        #expect(random.next() == 3_203_168_211_198_807_973)
        var zero = WorkloadRandom(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test(arguments: [1, 2, 3, 1000, 1 << 40, UInt64.max] as [UInt64])
    func drawsStayBelowTheBound(bound: UInt64) {
        var random = WorkloadRandom(seed: bound)
        var largest: UInt64 = 0
        for _ in 0 ..< 10_000 {
            let draw = random.next(below: bound)
            #expect(draw < bound)
            largest = max(largest, draw)
        }
        // And the draws reach the top of the range, not only its bottom.
        if bound > 1 { #expect(largest >= bound / 2) }
    }

    @Test func thresholdsAreExactAtTheEdges() {
        #expect(WorkloadRandom.threshold(probability: 0) == 0)
        #expect(WorkloadRandom.threshold(probability: -1) == 0)
        #expect(WorkloadRandom.threshold(probability: .nan) == 0)
        #expect(WorkloadRandom.threshold(probability: 0.5) == 1 << 52)
        #expect(WorkloadRandom.threshold(probability: 1) == 1 << 53)
        #expect(WorkloadRandom.threshold(probability: 7) == 1 << 53)

        var random = WorkloadRandom(seed: 99)
        let never = (0 ..< 10_000).filter { _ in random.chance(0) }.count
        let always = (0 ..< 10_000).filter { _ in random.chance(1 << 53) }.count
        let half = (0 ..< 10_000).filter { _ in random.chance(1 << 52) }.count
        #expect(never == 0 && always == 10_000)
        #expect((4_700 ... 5_300).contains(half))
    }
}
