import CDQQueues
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The ring's memory is touched when the ring is made, so the producer's
/// first lap takes no page fault: a fault costs microseconds, on the hot
/// path of every delivery until the ring has wrapped once.
@Suite struct SPSCRingFaultTests {
    /// Minor page faults of the calling thread so far.
    private func minorFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage) // RUSAGE_THREAD, hidden from Swift without _GNU_SOURCE
        return usage.ru_minflt
    }

    @Test func theFirstLapTakesNoPageFault() {
        // 4 MiB of slots: 1,024 pages that would each fault on first touch.
        let ring = SPSCRing<UInt64>(capacity: 1 << 19)
        let before = minorFaults()
        for value in 0..<UInt64(ring.capacity) { #expect(ring.tryPush(value), "room for a whole lap") }
        let faults = minorFaults() - before
        var popped: UInt64 = 0
        while let value = ring.tryPop() {
            if value != popped { Issue.record("popped \(value), expected \(popped)"); break }
            popped += 1
        }
        #expect(popped == UInt64(ring.capacity))
        // A few faults may come from the test harness itself, never one per page.
        #expect(faults < 64, "\(faults) page faults while filling a fresh ring")
    }
}
