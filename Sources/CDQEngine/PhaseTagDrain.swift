import CCDQ
import CDQNVMe

/// The engine's per-entry work: read a CDQ by phase tag, check each new
/// entry (`EntryCheck`), and copy it, raw, into a consumer's records
/// (cdq-protocol.md §4).
///
/// Public so that benchmarks measure the very loop the engine runs, on
/// queue memory they filled themselves; the engine calls it from its loop.
public enum PhaseTagDrain {
    /// What one call found besides the entries it copied.
    public struct Outcome: Sendable, Equatable {
        /// Records written into the region (entries, and a `.tailJump`
        /// problem record for each skipped slot).
        public var count = 0
        /// ESA 7 entries among them (delivered as `.overflow` records).
        public var overflows = 0
        /// LAST entries among them (ESA 7 included).
        public var lastEntries = 0
        /// `.problem` records among them.
        public var problems = 0

        /// Counts a record `classify` gave `kind` (LAST by the entry's ESA).
        mutating func count(_ kind: CDQRecord.Kind, _ attributes: UInt8) {
            let entryStatus = attributes >> 1 & 0b111
            if entryStatus != 0 && EntryStatusAttribute(rawValue: entryStatus).isLast { lastEntries += 1 }
            if kind == .problem { problems += 1 } else if kind == .overflow { overflows += 1 }
        }
    }

    /// Copies new entries of the queue at `memory` (`entryCount` entries of
    /// 32 bytes; written only to mark a skipped slot, see `tailSkipped`)
    /// into `region`, starting at `readIndex`, and stops at the first entry
    /// whose phase is not `expectedPhase` or when `region` is full. Advances `readIndex` and flips `expectedPhase` on a wrap.
    /// Every entry `check` finds a problem with becomes a `.problem` record
    /// carrying the raw entry and the problem: nothing is dropped.
    ///
    /// Two loops, because nearly every entry is the usual one: the inner
    /// `copyUsual` copies a run of usual entries and nothing else, and this
    /// loop takes the one entry that ended the run (a marker, an ESA 7, an
    /// entry with a problem, a skipped slot, or the end of the new entries)
    /// and then starts the next run after it. Choosing a kind and a detail
    /// per entry in a single loop cost 43 % more per entry than the loop
    /// before entries were checked; see docs/engine.md.
    ///
    /// Each phase byte is loaded with acquire ordering: the controller
    /// writes the other 31 bytes before it, so they are complete once the
    /// new phase is seen.
    @inline(__always)
    public static func copy(
        from memory: UnsafeMutableRawPointer, entryCount: UInt32, readIndex: inout UInt32, expectedPhase: inout Bool,
        into region: UnsafeMutableBufferPointer<CDQRecord>, queue: UInt32, cdqid: UInt16,
        check: EntryCheck = EntryCheck(scope: nil)
    ) -> Outcome {
        var outcome = Outcome()
        var index = readIndex
        var phase = expectedPhase
        let usual = check.usualRange
        while outcome.count < region.count {
            // Up to the end of the region or of the queue's lap, whichever is first.
            let room = min(region.count - outcome.count, Int(entryCount - index))
            let run = copyUsual(from: memory + Int(index) * MigrationQueueEntry.size, phase: phase, usual: usual, room: room,
                                into: region.baseAddress! + outcome.count, queue: queue, cdqid: cdqid)
            outcome.count += run
            index += UInt32(run)
            if index == entryCount {
                index = 0
                phase.toggle()
            }
            if run == room { continue }
            // The entry at `index` ended the run: anything but the usual entry.
            let entry = memory + Int(index) * MigrationQueueEntry.size
            let attributes = cdq_load_acquire_u8((entry + MigrationQueueEntry.attributesOffset).assumingMemoryBound(to: UInt8.self))
            let kind: CDQRecord.Kind
            let detail: UInt8
            let raw: (UInt64, UInt64, UInt64, UInt64)
            if (attributes & 1 == 1) == phase {
                raw = entry.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64).self)
                (kind, detail) = classify(raw, attributes, check)
                outcome.count(kind, attributes)
            } else if tailSkipped(memory, entryCount: entryCount, after: index, phase: phase) {
                // Mark the hole read with this lap's phase, as a post would
                // have: left old, it would read as new on the next lap.
                let attributes = (entry + MigrationQueueEntry.attributesOffset).assumingMemoryBound(to: UInt8.self)
                raw = entry.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64).self)
                cdq_store_release_u8(attributes, (attributes.pointee & ~1) | (phase ? 1 : 0))
                kind = .problem
                detail = RecordProblem.tailJump.rawValue
                outcome.problems += 1
            } else {
                break
            }
            region[outcome.count] = CDQRecord(raw: raw, queue: queue, cdqid: cdqid, kind: kind, detail: detail)
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

    /// Copies the usual entries starting at `entries`, at most `room` of
    /// them, into `records` as `.entry` records, and returns how many: it
    /// stops at the first entry that is not new, not a range change record
    /// (ESA 0, LBACIR 0, deallocated and reserved bits 0), or not inside
    /// `usual` (`EntryCheck.inUsualRange`); the caller takes that one.
    ///
    /// The per-entry loop of the engine, kept to what the usual entry
    /// needs: one compare of the attributes byte (phase tag, ESA and LBACIR
    /// together), three of NSID and range against values in registers, and
    /// a record written as the entry's words plus one constant word
    /// (`CDQRecord.Tail`: queue, CDQID, kind and detail are the same for
    /// the whole run). No wrap (`room` ends at the end of the lap) and no
    /// counter but the one it returns.
    @inline(__always)
    static func copyUsual(
        from entries: UnsafeRawPointer, phase: Bool, usual: EntryCheck.UsualRange, room: Int,
        into records: UnsafeMutablePointer<CDQRecord>, queue: UInt32, cdqid: UInt16
    ) -> Int {
        let expected: UInt8 = phase ? 1 : 0
        let tail = CDQRecord.Tail(queue: queue, cdqid: cdqid, kind: .entry)
        var copied = 0
        while copied < room {
            let entry = entries + copied &* MigrationQueueEntry.size
            let attributes = cdq_load_acquire_u8((entry + MigrationQueueEntry.attributesOffset).assumingMemoryBound(to: UInt8.self))
            guard attributes & usualMask == expected else { break }
            let raw = entry.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64).self)
            guard EntryCheck.inUsualRange(nsid: UInt32(truncatingIfNeeded: raw.0), nlb: UInt32(truncatingIfNeeded: raw.0 >> 32),
                                          slba: raw.1, usual) else { break }
            tail.store(raw, at: records + copied)
            copied &+= 1
        }
        return copied
    }

    /// The phase tag, ESA and LBACIR bits of the attributes byte: equal to
    /// the expected phase alone for a new range change record.
    static let usualMask: UInt8 = 0b1100_1111

    /// Every entry but the usual one, out of line so that the per-entry
    /// loop stays small (and its counters stay in registers): markers,
    /// ESA 7 (`.overflow`), and whatever `check` finds wrong (`.problem`,
    /// with its detail).
    @inline(never)
    static func classify(_ raw: (UInt64, UInt64, UInt64, UInt64), _ attributes: UInt8, _ check: EntryCheck) -> (CDQRecord.Kind, UInt8) {
        if let problem = check.problem(MigrationQueueEntry(raw: raw, attributes: attributes)) { return (.problem, problem.rawValue) }
        return attributes >> 1 & 0b111 == EntryStatusAttribute.lastQueueFull.rawValue ? (.overflow, 0) : (.entry, 0)
    }

    /// How far a scan that stops looks ahead for a tail that jumped.
    static let lookAhead: UInt32 = 8

    /// True when one of the next `lookAhead` slots after `index` (whose
    /// phase is old) carries the new phase while `index` still does not: a
    /// tail that jumped over `index`.
    ///
    /// A controller posts in order, phase byte last, so once a later slot
    /// is seen new (acquire), an in-order post of `index` is visible too; a
    /// slot still old after that was skipped. At most `lookAhead` extra
    /// loads per scan that ends on an old phase, none per entry. The caller
    /// gives the skipped slot this lap's phase: the one host write into
    /// queue memory, to a slot the controller has passed. Each slot of a
    /// longer jump is found in turn as the scan reaches it. Out of line: it
    /// runs once per scan, and the per-entry loop stays small.
    @inline(never)
    static func tailSkipped(_ memory: UnsafeRawPointer, entryCount: UInt32, after index: UInt32, phase: Bool) -> Bool {
        var next = index
        var nextPhase = phase
        for _ in 0 ..< min(lookAhead, entryCount - 1) {
            next += 1
            if next == entryCount {
                // Past the end of the queue the next lap's phase is the other one.
                next = 0
                nextPhase.toggle()
            }
            if (phaseByte(memory, next) & 1 == 1) == nextPhase {
                return (phaseByte(memory, index) & 1 == 1) != phase
            }
        }
        return false
    }

    /// The slot `index` carries `phase`: one acquire load of its
    /// attributes byte, the question a deadline tick asks of an active
    /// queue before anything else.
    @inline(__always)
    package static func isNew(_ memory: UnsafeRawPointer, index: UInt32, phase: Bool) -> Bool {
        (phaseByte(memory, index) & 1 == 1) == phase
    }

    @inline(__always)
    private static func phaseByte(_ memory: UnsafeRawPointer, _ index: UInt32) -> UInt8 {
        let entry = memory + Int(index) * MigrationQueueEntry.size + MigrationQueueEntry.attributesOffset
        return cdq_load_acquire_u8(entry.assumingMemoryBound(to: UInt8.self))
    }
}

extension MigrationQueueEntry {
    /// The entry in a record's raw words (little endian, as in queue
    /// memory), with the attributes byte as the phase check read it.
    @inline(__always)
    init(raw: (UInt64, UInt64, UInt64, UInt64), attributes: UInt8) {
        self.init(nsid: UInt32(truncatingIfNeeded: raw.0), numberOfLogicalBlocks: UInt32(truncatingIfNeeded: raw.0 >> 32),
                  startingLBA: raw.1, attributes: attributes)
    }
}
