import CDQEngine
import CDQNVMe
import CDQUring
import Foundation
import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// The per-entry work alone, on queue memory filled beforehand: the
/// engine's phase-tag drain (`PhaseTagDrain.copy`, the loop's own code)
/// into consumer records, the baseline's in-place scan and decode, and a
/// plain `memcpy` of the same bytes: the physical limit.
struct DrainScenario {
    /// 1 MiB of queue memory: 32,768 entries.
    static let entries: UInt32 = 32_768
    /// The engine drains at most this many entries per reservation.
    static let batch = 256
    let seconds: Double
    let rounds: Int

    func run() -> ScenarioResult {
        let bytes = Int(Self.entries) * MigrationQueueEntry.size
        let queue = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        // Records land in a ring-sized buffer, as in the consumer ring.
        let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 16_384)
        defer { queue.deallocate(); copy.deallocate(); records.deallocate() }
        for index in 0..<Int(Self.entries) {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: UInt64(index), phaseTag: true)
                .write(to: queue + index * MigrationQueueEntry.size, includingPhase: true)
        }
        memset(copy, 0, bytes)
        _ = records.initialize(repeating: CDQRecord(raw: (0, 0, 0, 0), queue: 0, cdqid: 0, kind: .entry))

        var result = ScenarioResult(scenario: "drain", queues: 1, seconds: seconds)
        var memcpyTime = SideResult()
        for round in 1...rounds {
            log("drain: round \(round) of \(rounds)")
            result.engine.add(timed { engineDrain(queue, records) })
            result.baseline.add(timed { baselineScan(queue) })
            memcpyTime.add(timed { memcpy(copy, queue, bytes); return Self.entries })
        }
        let engineNs = result.engine.nanosecondsPerEntry
        let memcpyNs = memcpyTime.nanosecondsPerEntry
        result.extra = [
            "ns_per_entry": rounded(engineNs, 3),
            "baseline_ns_per_entry": rounded(result.baseline.nanosecondsPerEntry, 3),
            "memcpy_ns_per_entry": rounded(memcpyNs, 3),
            "fraction_of_memcpy": rounded(engineNs == 0 ? 0 : memcpyNs / engineNs, 3),
        ]
        result.extraRows = [
            ("ns/entry", String(rounded(engineNs, 3)), String(rounded(result.baseline.nanosecondsPerEntry, 3))),
            ("memcpy ns/entry", String(rounded(memcpyNs, 3)), ""),
            ("fraction of memcpy rate", String(rounded(memcpyNs / engineNs, 3)), String(rounded(memcpyNs / result.baseline.nanosecondsPerEntry, 3))),
        ]
        return result
    }

    /// Repeats `pass` (which returns the entries it handled) for `seconds`;
    /// a pass that handled fewer entries than the queue holds counts as lost.
    private func timed(_ pass: () -> UInt32) -> SideResult {
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)
        var side = SideResult()
        let start = MonotonicClock.nanoseconds()
        let end = start + UInt64(seconds * 1e9)
        var now = start
        repeat {
            let handled = pass()
            let after = MonotonicClock.nanoseconds()
            _ = histogram.record(after - now)
            now = after
            side.entries += UInt64(handled)
            side.lost += UInt64(Self.entries - min(handled, Self.entries))
        } while now < end
        side.nanoseconds = now - start
        side.consumerCPU = side.nanoseconds
        (side.p50, side.p99, side.p999) = percentiles(histogram)
        var total = SideResult()
        total.add(side)
        return total
    }

    /// One pass of the engine's drain over the whole queue, `batch` entries per reservation.
    private func engineDrain(_ queue: UnsafeMutableRawPointer, _ records: UnsafeMutableBufferPointer<CDQRecord>) -> UInt32 {
        var readIndex: UInt32 = 0
        var phase = true
        var drained = 0
        var slot = 0
        while drained < Int(Self.entries) {
            let region = UnsafeMutableBufferPointer(rebasing: records[slot..<(slot + Self.batch)])
            let outcome = PhaseTagDrain.copy(from: queue, entryCount: Self.entries, readIndex: &readIndex, expectedPhase: &phase,
                                             into: region, queue: 0, cdqid: 1)
            drained += outcome.count
            slot = (slot + Self.batch) % records.count
            if outcome.count < Self.batch { break }
            if readIndex == 0 { break } // wrapped: the phase flipped, the next lap is old
        }
        // The last record must be the queue's last entry.
        let last = records[(slot + records.count - 1) % records.count]
        return last.raw.1 == UInt64(Self.entries - 1) ? UInt32(drained) : 0
    }

    /// One pass of the baseline's scan: phase byte, decode, book, in place.
    private func baselineScan(_ queue: UnsafeMutableRawPointer) -> UInt32 {
        var index: UInt32 = 0
        var expected: UInt64 = 0
        while index < Self.entries {
            let entry = queue + Int(index) * MigrationQueueEntry.size
            guard loadPhaseByte(entry + MigrationQueueEntry.attributesOffset) & 1 == 1 else { break }
            let decoded = MigrationQueueEntry(bytes: entry)
            if decoded.entryStatus == .middle && decoded.startingLBA == expected { expected += 1 }
            index += 1
        }
        return UInt32(expected)
    }
}

extension SideResult {
    var nanosecondsPerEntry: Double { entries == 0 ? 0 : Double(nanoseconds) / Double(entries) }
}
