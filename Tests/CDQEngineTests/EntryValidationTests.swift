import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Testing

/// Every drained entry is checked against its shape and the queue's scope;
/// what fails reaches the consumer as a `.problem` record, is counted by
/// kind and goes to the error callback. Nothing is dropped.
@Suite struct EntryValidationTests {
    static let capacity: UInt64 = 1 << 16
    static let scope = QueueScope(nsid: 1, capacity: capacity)

    @Test(arguments: HostileEntry.catalogue(capacity: capacity, lba: 100))
    func theCheckNamesEachHostileEntry(_ hostile: HostileEntry) {
        #expect(EntryCheck(scope: Self.scope).problem(hostile.entry)?.name == hostile.problem)
    }

    @Test func wellFormedEntriesInsideTheScopePass() {
        let check = EntryCheck(scope: Self.scope)
        let entries = [
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: 0, phaseTag: true),
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: Self.capacity - 8, phaseTag: true),
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: true, lbaChange: .allLBAsChanged),
            .marker(.first, phaseTag: true), .marker(.lastControllerSuspended, phaseTag: false), .marker(.lastQueueFull, phaseTag: true),
        ]
        for entry in entries { #expect(check.problem(entry) == nil, "\(entry)") }
    }

    @Test func aScopeOfSeveralNamespacesChecksEachAgainstItsOwnCapacity() {
        let check = EntryCheck(scope: QueueScope([.init(nsid: 1, capacity: 100), .init(nsid: 3, capacity: 1000)]))
        func change(_ nsid: UInt32, _ slba: UInt64) -> MigrationQueueEntry {
            MigrationQueueEntry(nsid: nsid, numberOfLogicalBlocks: 9, startingLBA: slba, phaseTag: true)
        }
        #expect(check.problem(change(1, 90)) == nil)
        #expect(check.problem(change(1, 91)) == .rangePastCapacity)
        #expect(check.problem(change(3, 990)) == nil)
        #expect(check.problem(change(3, 991)) == .rangePastCapacity)
        #expect(check.problem(change(2, 0)) == .namespaceOutOfScope)
        #expect(EntryCheck(scope: QueueScope([])).problem(change(1, 0)) == .namespaceOutOfScope)
        // The TP4159 emulation's deallocation ranges are 1's based: 10 blocks end at 100.
        let emulation = EntryCheck(scope: QueueScope(nsid: 1, capacity: 100, convention: .tp4159Emulation))
        let deallocated = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 10, startingLBA: 90, phaseTag: true, deallocated: true)
        #expect(emulation.problem(deallocated) == nil)
        #expect(check.problem(deallocated) == .rangePastCapacity, "read 0's based, it would be 11 blocks")
    }

    @Test func withoutAScopeOnlyTheShapeIsChecked() {
        let check = EntryCheck(scope: nil)
        #expect(check.problem(MigrationQueueEntry(nsid: 7, numberOfLogicalBlocks: 0, startingLBA: 1 << 60, phaseTag: true)) == nil)
        #expect(check.problem(MigrationQueueEntry(nsid: 0, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: true)) == .changeRecordWithoutNamespace)
    }

    /// The inline fast path for change records gives exactly what
    /// `validate()` gives, on arbitrary bytes.
    @Test func theFastPathAgreesWithValidate() {
        var random = SplitMix64(seed: 12)
        let check = EntryCheck(scope: nil)
        for _ in 0..<200_000 {
            let bits = random.next()
            let entry = MigrationQueueEntry(
                nsid: UInt32(truncatingIfNeeded: bits & 3), numberOfLogicalBlocks: UInt32(truncatingIfNeeded: random.next()),
                startingLBA: bits & 8 == 0 ? random.next() : UInt64.max - (random.next() & 0xFFFF_FFFF),
                attributes: UInt8(truncatingIfNeeded: bits >> 8))
            #expect(check.problem(entry) == entry.validate().map(RecordProblem.init), "\(entry)")
        }
    }

    /// With a scope, the inline path for in-range change records gives
    /// what the rules say, written out plainly here, on arbitrary entries
    /// near the namespace's end and around 2^64.
    @Test func theScopedFastPathAgreesWithThePlainRules() {
        var random = SplitMix64(seed: 13)
        let capacity: UInt64 = 1000
        let check = EntryCheck(scope: QueueScope(nsid: 1, capacity: capacity))
        func rules(_ entry: MigrationQueueEntry) -> RecordProblem? {
            if let problem = entry.validate() { return RecordProblem(problem) }
            if entry.isMarker { return nil }
            guard entry.nsid == 1 else { return .namespaceOutOfScope }
            guard entry.lbaChange == .rangeChanged else { return nil }
            let end = entry.startingLBA.addingReportingOverflow(entry.blockCount())
            return end.overflow || end.partialValue > capacity ? .rangePastCapacity : nil
        }
        for _ in 0..<200_000 {
            let bits = random.next()
            let slba: UInt64 = switch bits & 3 {
            case 0: random.next() % 1100
            case 1: UInt64.max - random.next() % 2000
            case 2: capacity - random.next() % 8
            default: random.next()
            }
            let entry = MigrationQueueEntry(
                nsid: UInt32(truncatingIfNeeded: bits >> 2 & 3), numberOfLogicalBlocks: UInt32(truncatingIfNeeded: random.next() % 1200),
                startingLBA: slba, attributes: bits >> 4 & 1 == 0 ? 0 : UInt8(truncatingIfNeeded: bits >> 8))
            #expect(check.problem(entry) == rules(entry), "\(entry)")
        }
    }

    @Test func theCatalogueCoversEveryEntryProblem() {
        // Every kind of RecordProblem but the tail jump appears in the catalogue.
        let names = Set(HostileEntry.catalogue(capacity: Self.capacity, lba: 100).map(\.problem))
        #expect(names == Set(RecordProblem.allCases.filter { $0 != .tailJump }.map(\.name)))
    }

    /// Through the engine on the simulator: each hostile entry arrives as a
    /// `.problem` record with its raw bytes, in order between good entries,
    /// counted by kind and reported to the callback.
    @Test func hostileEntriesReachTheConsumerCountedAndReported() throws {
        let reported = Locked<[QueueProblem]>([])
        let fixture = try EngineFixture(controllers: 1, capacity: Self.capacity, onQueueProblem: { _, problem in
            reported.withLock { $0.append(problem) }
        })
        let consumer = try Consumer(capacity: 256)
        let queue = try fixture.attach(cntlid: 1, entries: 64, consumer: consumer, scope: Self.scope)
        _ = collect(consumer, count: 1) // FIRST
        let catalogue = HostileEntry.catalogue(capacity: Self.capacity, lba: 100)
        let controller = fixture.subsystem.controller(1)!
        for hostile in catalogue {
            #expect(controller.postHostileEntry(hostile.entry))
            #expect(fixture.write(1, lba: 5) == .success)
            _ = collect(consumer, count: 2).map { record in
                if record.kind == .problem {
                    #expect(record.problem?.name == hostile.problem, "\(hostile)")
                    #expect(record.entry.nsid == hostile.entry.nsid && record.entry.startingLBA == hostile.entry.startingLBA)
                    #expect(record.entry.attributes & ~1 == hostile.entry.attributes & ~1, "the raw entry, as written")
                } else {
                    #expect(record.kind == .entry && record.entry.startingLBA == 5, "the good entry after it")
                }
            }
        }
        let statistics = try #require(fixture.engine.statistics(of: queue.handle))
        #expect(statistics.problems == UInt64(catalogue.count))
        var expected: [RecordProblem: UInt64] = [:]
        for hostile in catalogue { expected[RecordProblem.allCases.first { $0.name == hostile.problem }!, default: 0] += 1 }
        #expect(statistics.problemsByKind == expected)
        #expect(statistics.entries == UInt64(1 + 2 * catalogue.count))
        #expect(fixture.engine.statistics.totals.problems == UInt64(catalogue.count))
        let problems = reported.withLock { $0 }
        #expect(problems.count == catalogue.count)
        #expect(problems.first == .entry(.reservedEntryStatus, catalogue[0].entry.withPhase(true)))
    }

    @Test func aTailThatSkipsASlotIsReportedAndReadingGoesOn() throws {
        let fixture = try EngineFixture(controllers: 1, capacity: Self.capacity)
        let consumer = try Consumer(capacity: 256)
        let queue = try fixture.attach(cntlid: 1, entries: 16, consumer: consumer, scope: Self.scope)
        _ = collect(consumer, count: 1) // FIRST
        let controller = fixture.subsystem.controller(1)!
        // Across two laps, so the skipped slots sit on both phases.
        var lba: UInt64 = 0
        for _ in 0..<6 {
            #expect(fixture.write(1, lba: lba) == .success)
            #expect(controller.skipQueueSlot())
            #expect(fixture.write(1, lba: lba + 1) == .success)
            let records = collect(consumer, count: 3)
            #expect(records.map(\.kind) == [.entry, .problem, .entry])
            #expect(records.dropFirst().first?.problem == .tailJump)
            #expect(records.filter { $0.kind == .entry }.map(\.entry.startingLBA) == [lba, lba + 1])
            lba += 2
        }
        #expect(fixture.engine.statistics(of: queue.handle)?.problemsByKind == [.tailJump: 6])
    }
}

extension MigrationQueueEntry {
    func withPhase(_ phase: Bool) -> MigrationQueueEntry {
        var entry = self
        entry.attributes = (attributes & ~1) | (phase ? 1 : 0)
        return entry
    }
}
