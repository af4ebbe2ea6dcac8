import CCDQ
import CDQNVMe

/// The engine's per-entry work: read a CDQ by phase tag and copy each new
/// entry, raw, into a consumer's records (cdq-protocol.md §4).
///
/// Public so that benchmarks measure the very loop the engine runs, on
/// queue memory they filled themselves; the engine calls it from its loop.
public enum PhaseTagDrain {
    /// What one call found besides the entries it copied.
    public struct Outcome: Sendable, Equatable {
        /// Entries copied into the region.
        public var count = 0
        /// ESA 7 entries among them (delivered as `.overflow` records).
        public var overflows = 0
        /// LAST entries among them (ESA 7 included).
        public var lastEntries = 0
    }

    /// Copies new entries of the queue at `memory` (`entryCount` entries of
    /// 32 bytes) into `region`, starting at `readIndex`, and stops at the
    /// first entry whose phase is not `expectedPhase` or when `region` is
    /// full. Advances `readIndex` and flips `expectedPhase` on a wrap.
    ///
    /// Each phase byte is loaded with acquire ordering: the controller
    /// writes the other 31 bytes before it, so they are complete once the
    /// new phase is seen.
    @inline(__always)
    public static func copy(
        from memory: UnsafeRawPointer, entryCount: UInt32, readIndex: inout UInt32, expectedPhase: inout Bool,
        into region: UnsafeMutableBufferPointer<CDQRecord>, queue: UInt32, cdqid: UInt16
    ) -> Outcome {
        var outcome = Outcome()
        var index = readIndex
        var phase = expectedPhase
        while outcome.count < region.count {
            let entry = memory + Int(index) * MigrationQueueEntry.size
            let attributes = cdq_load_acquire_u8((entry + MigrationQueueEntry.attributesOffset).assumingMemoryBound(to: UInt8.self))
            guard (attributes & 1 == 1) == phase else { break }
            let raw = entry.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64).self)
            let entryStatus = EntryStatusAttribute(rawValue: attributes >> 1)
            let overflow = entryStatus == .lastQueueFull
            if overflow { outcome.overflows += 1 }
            if entryStatus.isLast { outcome.lastEntries += 1 }
            region[outcome.count] = CDQRecord(raw: raw, queue: queue, cdqid: cdqid, kind: overflow ? .overflow : .entry)
            outcome.count += 1
            index += 1
            if index == entryCount {
                index = 0
                phase.toggle()
            }
        }
        readIndex = index
        expectedPhase = phase
        return outcome
    }
}
