import CDQNVMe
import CDQSimulator
import Testing

@Suite struct WorkloadStatisticsTests {
    @Test func operationsPerSecondIsOverElapsedTime() {
        var statistics = WorkloadStatistics()
        #expect(statistics.operationsPerSecond == 0, "no time, no rate")
        statistics.operations = 3000
        statistics.elapsedNanoseconds = 300_000_000
        #expect(statistics.operationsPerSecond == 10_000)
    }

    @Test func descriptionSaysWhatHappened() {
        var statistics = WorkloadStatistics()
        statistics.operations = 1000
        statistics.writes = 900
        statistics.deallocates = 100
        statistics.blocksWritten = 7200
        statistics.elapsedNanoseconds = 300_400_000
        #expect(statistics.description
            == "1000 operations (900 writes, 100 deallocates), 7200 blocks written, 0 errors in 0.300 s (3328 op/s)")
        statistics.errors = 2
        statistics.firstError = .lbaOutOfRange
        statistics.elapsedNanoseconds = 2_005_000_000
        #expect(statistics.description == "1000 operations (900 writes, 100 deallocates), 7200 blocks written, "
            + "2 errors (first: LBA Out of Range (SCT 0, SC 0x80)) in 2.005 s (498 op/s)")
    }
}
