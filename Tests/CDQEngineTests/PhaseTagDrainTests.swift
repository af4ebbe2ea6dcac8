@testable import CDQEngine
import CDQNVMe
import CDQUring
import Testing

/// The loop's per-entry drain on hand-written queue memory: where it stops,
/// how it wraps, what it makes of LAST and ESA 7 entries.
@Suite struct PhaseTagDrainTests {
    final class Queue {
        let entries: UInt32
        let memory: UnsafeMutableRawPointer
        init(entries: UInt32) {
            self.entries = entries
            memory = .allocate(byteCount: Int(entries) * MigrationQueueEntry.size, alignment: 4096)
            memory.initializeMemory(as: UInt8.self, repeating: 0, count: Int(entries) * MigrationQueueEntry.size)
        }
        deinit { memory.deallocate() }

        /// A change record of `lba`, or a well-formed marker (no range) for a marker status.
        func post(_ slot: Int, lba: UInt64, phase: Bool, status: EntryStatusAttribute = .middle) {
            let entry = status.isMarker ? MigrationQueueEntry.marker(status, phaseTag: phase)
                : MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: lba, phaseTag: phase, entryStatus: status)
            post(slot, entry)
        }

        func post(_ slot: Int, _ entry: MigrationQueueEntry) {
            entry.write(to: memory + slot * MigrationQueueEntry.size, includingPhase: true)
        }
    }

    func drain(_ queue: Queue, _ readIndex: inout UInt32, _ phase: inout Bool, room: Int,
               check: EntryCheck = EntryCheck(scope: nil)) -> ([CDQRecord], PhaseTagDrain.Outcome) {
        let region = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: room)
        defer { region.deallocate() }
        let outcome = PhaseTagDrain.copy(from: queue.memory, entryCount: queue.entries, readIndex: &readIndex,
                                         expectedPhase: &phase, into: region, queue: 5, cdqid: 9, check: check)
        return (Array(region.prefix(outcome.count)), outcome)
    }

    @Test func stopsAtTheFirstEntryOfTheOldPhase() {
        let queue = Queue(entries: 8)
        for slot in 0..<3 { queue.post(slot, lba: UInt64(slot), phase: true) }
        var readIndex: UInt32 = 0, phase = true
        let (records, outcome) = drain(queue, &readIndex, &phase, room: 8)
        #expect(records.map { $0.entry.startingLBA } == [0, 1, 2])
        #expect(records.allSatisfy { $0.queue == 5 && $0.cdqid == 9 && $0.kind == .entry })
        #expect(outcome.count == 3 && outcome.overflows == 0 && outcome.lastEntries == 0)
        #expect(readIndex == 3 && phase)
        // Nothing new: nothing copied, nothing moved.
        #expect(drain(queue, &readIndex, &phase, room: 8).1.count == 0)
        #expect(readIndex == 3)
    }

    @Test func stopsWhenTheRegionIsFullAndGoesOnFromThere() {
        let queue = Queue(entries: 8)
        for slot in 0..<6 { queue.post(slot, lba: UInt64(slot), phase: true) }
        var readIndex: UInt32 = 0, phase = true
        #expect(drain(queue, &readIndex, &phase, room: 4).0.map { $0.entry.startingLBA } == [0, 1, 2, 3])
        #expect(drain(queue, &readIndex, &phase, room: 4).0.map { $0.entry.startingLBA } == [4, 5])
    }

    @Test func wrapsAndExpectsTheInvertedPhase() {
        let queue = Queue(entries: 4)
        for slot in 0..<4 { queue.post(slot, lba: UInt64(slot), phase: true) }
        var readIndex: UInt32 = 0, phase = true
        #expect(drain(queue, &readIndex, &phase, room: 8).1.count == 4)
        #expect(readIndex == 0 && !phase)
        // The old lap's phase-1 entries are not new on the second lap.
        #expect(drain(queue, &readIndex, &phase, room: 8).1.count == 0)
        queue.post(0, lba: 10, phase: false)
        queue.post(1, lba: 11, phase: false)
        #expect(drain(queue, &readIndex, &phase, room: 8).0.map { $0.entry.startingLBA } == [10, 11])
        #expect(readIndex == 2 && !phase)
    }

    @Test func anOverflowBecomesAnOverflowRecordAndCountsAsLast() {
        let queue = Queue(entries: 8)
        queue.post(0, lba: 0, phase: true)
        queue.post(1, lba: 0, phase: true, status: .lastLoggingStopped)
        queue.post(2, lba: 0, phase: true, status: .lastQueueFull)
        var readIndex: UInt32 = 0, phase = true
        let (records, outcome) = drain(queue, &readIndex, &phase, room: 8)
        #expect(records.map(\.kind) == [.entry, .entry, .overflow])
        #expect(outcome.count == 3 && outcome.overflows == 1 && outcome.lastEntries == 2)
    }

    @Test func aMalformedEntryBecomesAProblemRecordWithItsRawBytes() {
        let queue = Queue(entries: 8)
        queue.post(0, lba: 3, phase: true)
        let hostile = MigrationQueueEntry(nsid: 9, numberOfLogicalBlocks: 7, startingLBA: 40, phaseTag: true)
        queue.post(1, hostile)
        queue.post(2, MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: true, entryStatus: .lastQueueFull))
        var readIndex: UInt32 = 0, phase = true
        let region = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 8)
        defer { region.deallocate() }
        let outcome = PhaseTagDrain.copy(from: queue.memory, entryCount: queue.entries, readIndex: &readIndex, expectedPhase: &phase,
                                         into: region, queue: 5, cdqid: 9, check: EntryCheck(scope: QueueScope(nsid: 1, capacity: 100)))
        #expect(outcome.count == 3 && outcome.problems == 2 && outcome.overflows == 0 && outcome.lastEntries == 1)
        #expect(region.prefix(3).map(\.kind) == [.entry, .problem, .problem])
        #expect(region[1].entry == hostile && region[1].problem == .namespaceOutOfScope)
        #expect(region[2].problem == .markerWithLBAChange, "an ESA 7 with LBACIR 0 is a problem, which resynchronises as well")
    }

    @Test func aSkippedSlotIsATailJumpButAnEndOfLapIsNot() {
        let queue = Queue(entries: 4)
        queue.post(0, lba: 0, phase: true)
        queue.post(2, lba: 2, phase: true) // slot 1 skipped
        var readIndex: UInt32 = 0, phase = true
        let (records, outcome) = drain(queue, &readIndex, &phase, room: 8)
        #expect(records.map(\.kind) == [.entry, .problem, .entry])
        #expect(records[1].problem == .tailJump && outcome.problems == 1)
        #expect(readIndex == 3 && phase)
        // Slot 3 written, the lap ends; slot 0 holds the first lap's phase,
        // and the skipped slot 1 was marked with it too: nothing reads as new.
        queue.post(3, lba: 3, phase: true)
        let (more, _) = drain(queue, &readIndex, &phase, room: 8)
        #expect(more.map(\.kind) == [.entry])
        #expect(readIndex == 0 && !phase)
        #expect(drain(queue, &readIndex, &phase, room: 8).0.isEmpty)
    }

    @Test func aJumpOverSeveralSlotsReportsEachSkippedSlot() {
        let queue = Queue(entries: 16)
        queue.post(0, lba: 0, phase: true)
        queue.post(4, lba: 4, phase: true) // slots 1, 2 and 3 skipped
        var readIndex: UInt32 = 0, phase = true
        let (records, outcome) = drain(queue, &readIndex, &phase, room: 16)
        #expect(records.map(\.kind) == [.entry, .problem, .problem, .problem, .entry])
        #expect(records.compactMap(\.problem) == [.tailJump, .tailJump, .tailJump] && outcome.problems == 3)
        #expect(readIndex == 5)
    }

    @Test func aJumpBeyondTheLookAheadIsNotSeen() {
        let queue = Queue(entries: 32)
        queue.post(0, lba: 0, phase: true)
        queue.post(Int(PhaseTagDrain.lookAhead) + 2, lba: 9, phase: true)
        var readIndex: UInt32 = 0, phase = true
        #expect(drain(queue, &readIndex, &phase, room: 32).0.map(\.kind) == [.entry], "documented: the scan waits at the hole")
    }

    @Test func aJumpAcrossTheEndOfTheQueueIsSeen() {
        let queue = Queue(entries: 4)
        for slot in 0..<3 { queue.post(slot, lba: UInt64(slot), phase: true) }
        var readIndex: UInt32 = 0, phase = true
        _ = drain(queue, &readIndex, &phase, room: 8)
        #expect(readIndex == 3)
        queue.post(0, lba: 10, phase: false) // slot 3 skipped, the lap ends, slot 0 of the next lap written
        let (records, _) = drain(queue, &readIndex, &phase, room: 8)
        #expect(records.map(\.kind) == [.problem, .entry])
        #expect(records.last?.entry.startingLBA == 10 && readIndex == 1 && !phase)
    }

    /// Usual entries with every other kind between them, at fixed places:
    /// the drain copies runs of usual entries in one loop and the others
    /// one by one, so each kind must come out the same wherever it falls
    /// (first or last of a region, just before or after a wrap).
    static func mixed(_ number: Int, phase: Bool) -> MigrationQueueEntry {
        switch number % 23 {
        case 2: MigrationQueueEntry(nsid: 2, numberOfLogicalBlocks: 0, startingLBA: 1, phaseTag: phase) // out of scope
        case 4: MigrationQueueEntry(nsid: 0, numberOfLogicalBlocks: 0, startingLBA: 1, phaseTag: phase) // no namespace
        case 11: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 5, startingLBA: .max - 1, phaseTag: phase) // wraps past 2^64
        case 17: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: .max, phaseTag: phase) // the last block: no wrap
        case 6: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 1, startingLBA: 99, phaseTag: phase) // past capacity
        case 9: .marker(number % 2 == 0 ? .lastLoggingStopped : .first, phaseTag: phase)
        case 13: .marker(.lastQueueFull, phaseTag: phase)
        case 15: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 3, startingLBA: 8, phaseTag: phase, deallocated: true)
        // In scope and in range, but not a range change record.
        case 19: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 5, phaseTag: phase,
                                     entryStatus: number % 2 == 0 ? .lastQueueFull : .reserved(5))
        case 22: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 5, phaseTag: phase, lbaChange: .allLBAsChanged)
        default: MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: UInt64(number % 100), phaseTag: phase)
        }
    }

    /// With a scope and without one (then the usual entry is any range
    /// change record with an NSID that does not wrap, also decided inline).
    @Test(arguments: [1, 2, 5, 16, 64], [true, false])
    func everyRecordIsWhatTheCheckMakesOfItsEntry(room: Int, scoped: Bool) {
        let queue = Queue(entries: 16)
        let check = EntryCheck(scope: scoped ? QueueScope(nsid: 1, capacity: 100) : nil)
        var readIndex: UInt32 = 0, phase = true
        var posted: [MigrationQueueEntry] = []
        var records: [CDQRecord] = []
        var total = PhaseTagDrain.Outcome()
        for lap in 0..<3 {
            // Each lap written whole, then drained whole in regions of `room`.
            for slot in 0..<16 {
                let entry = Self.mixed(lap * 16 + slot, phase: lap % 2 == 0)
                queue.post(slot, entry)
                posted.append(entry)
            }
            while true {
                let (copied, outcome) = drain(queue, &readIndex, &phase, room: room, check: check)
                records += copied
                total.count += outcome.count
                total.overflows += outcome.overflows
                total.lastEntries += outcome.lastEntries
                total.problems += outcome.problems
                if outcome.count == 0 { break }
            }
            #expect(readIndex == 0 && phase == (lap % 2 == 1))
        }
        #expect(records.map(\.entry) == posted)
        #expect(records.allSatisfy { $0.queue == 5 && $0.cdqid == 9 })
        // The oracle is written out here, not `check.problem` (which shares
        // the drain's inline rule): the entry's own rules, then the scope.
        func expectedProblem(_ entry: MigrationQueueEntry) -> RecordProblem? {
            if let problem = entry.validate() { return RecordProblem(problem) }
            guard scoped, entry.lbaChange == .rangeChanged else { return nil }
            if entry.nsid != 1 { return .namespaceOutOfScope }
            let blocks = UInt64(entry.numberOfLogicalBlocks) + 1
            return entry.startingLBA < 100 && blocks <= 100 - entry.startingLBA ? nil : .rangePastCapacity
        }
        for (record, entry) in zip(records, posted) {
            #expect(check.problem(entry) == expectedProblem(entry), "\(entry)")
            if let problem = expectedProblem(entry) {
                #expect(record.kind == .problem && record.problem == problem, "\(entry)")
            } else {
                #expect(record.kind == (entry.entryStatus == .lastQueueFull ? .overflow : .entry) && record.detail == 0, "\(entry)")
            }
        }
        #expect(total.count == 48)
        #expect(total.problems == posted.count { expectedProblem($0) != nil } && total.problems > 0)
        #expect(total.overflows == records.count { $0.kind == .overflow } && total.overflows > 0)
        #expect(total.lastEntries == posted.count { $0.entryStatus.isLast })
    }
}
