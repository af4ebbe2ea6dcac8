import CDQMigration
import CDQNVMe
import CDQTestSupport
import Testing

/// The dirty map against the obvious model: one flag per LBA, rounded the
/// same way. Whatever the order of inserts, `take()` must return exactly
/// the flagged LBAs as sorted, disjoint, non-touching extents.
@Suite struct DirtyExtentMapTests {
    /// The per-LBA model of the map.
    struct NaiveModel {
        var dirty: [Bool]
        let granularity: UInt64

        init(capacity: UInt64, granularity: UInt64) {
            dirty = Array(repeating: false, count: Int(capacity))
            self.granularity = granularity
        }

        mutating func insert(start: UInt64, count: UInt64) {
            guard count > 0, start < UInt64(dirty.count) else { return }
            let first = start / granularity * granularity
            let end = min(UInt64(dirty.count), (start + count + granularity - 1) / granularity * granularity)
            for lba in first ..< end { dirty[Int(lba)] = true }
        }

        /// Maximal runs of dirty LBAs.
        var extents: [Extent] {
            var result: [Extent] = []
            var lba = 0
            while lba < dirty.count {
                guard dirty[lba] else { lba += 1; continue }
                let start = lba
                while lba < dirty.count && dirty[lba] { lba += 1 }
                result.append(Extent(start: UInt64(start), end: UInt64(lba)))
            }
            return result
        }
    }

    @Test(arguments: [(1 as UInt64, 1 as UInt64), (2, 1), (3, 1), (4, 8), (5, 128)])
    func matchesThePerLBAModel(seed: UInt64, granularity: UInt64) {
        var random = SplitMix64(seed: seed)
        let capacity = 1 + random.next() % 5000
        var map = DirtyExtentMap(capacity: capacity, granularity: granularity)
        for round in 0 ..< 20 {
            var model = NaiveModel(capacity: capacity, granularity: granularity)
            for _ in 0 ..< Int(random.next() % 300) {
                // Starts a little past the end too, and lengths from 1 to large.
                let start = random.next() % (capacity + 16)
                let count = random.next() % 4 == 0 ? random.next() % 400 : random.next() % 16
                map.insert(start: start, blockCount: count)
                model.insert(start: start, count: count)
            }
            let expected = model.extents
            #expect(map.dirtyBlocks == expected.reduce(0) { $0 + $1.blockCount }, "seed \(seed) round \(round)")
            #expect(map.extentCount == expected.count, "seed \(seed) round \(round)")
            #expect(map.take() == expected, "seed \(seed) round \(round)")
            #expect(map.isEmpty)
        }
    }

    /// Enough inserts to cross the compaction threshold many times, with
    /// reads (which compact) in between, sequential runs mixed with random ones.
    @Test(arguments: [11 as UInt64, 12])
    func matchesTheModelAcrossCompactions(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let capacity: UInt64 = 200_000
        var map = DirtyExtentMap(capacity: capacity, granularity: 4)
        var model = NaiveModel(capacity: capacity, granularity: 4)
        var cursor: UInt64 = 0
        for step in 0 ..< 40_000 {
            let sequential = random.next() % 3 == 0
            let start = sequential ? cursor : random.next() % capacity
            let count = 1 + random.next() % 24
            cursor = (start + count) % capacity
            map.insert(start: start, blockCount: count)
            model.insert(start: start, count: count)
            if step % 9_999 == 0 {
                #expect(map.snapshot == model.extents, "seed \(seed) step \(step)")
            }
        }
        let expected = model.extents
        #expect(map.dirtyBlocks == expected.reduce(0) { $0 + $1.blockCount })
        #expect(map.take() == expected, "seed \(seed)")
    }

    /// A huge namespace with a coarse granularity: the radix sort's digits
    /// start above the granularity and stop below the capacity. The model
    /// counts granules.
    @Test func matchesTheModelOnAHugeNamespace() {
        var random = SplitMix64(seed: 99)
        let shift: UInt64 = 20
        var map = DirtyExtentMap(capacity: 1 << 40, granularity: 1 << shift)
        var model = NaiveModel(capacity: 1 << 20, granularity: 1)
        for _ in 0 ..< 30_000 {
            let start = random.next() % (1 << 40)
            let count = 1 + random.next() % (3 << shift)
            map.insert(start: start, blockCount: count)
            model.insert(start: start >> shift, count: (min(start + count, 1 << 40) - 1) >> shift - start >> shift + 1)
        }
        let expected = model.extents.map { Extent(start: $0.start << shift, end: $0.end << shift) }
        #expect(map.take() == expected)
    }

    @Test func overlappingAndNeighbouringRangesBecomeOneExtent() {
        var map = DirtyExtentMap(capacity: 1000)
        map.insert(start: 10, blockCount: 10)
        map.insert(start: 30, blockCount: 10)
        map.insert(start: 20, blockCount: 10) // touches both
        map.insert(start: 35, blockCount: 20) // overlaps the end
        #expect(map.take() == [Extent(start: 10, end: 55)])
    }

    @Test func granularityRoundsOutAndClipsAtTheEnd() {
        var map = DirtyExtentMap(capacity: 1000, granularity: 128)
        map.insert(start: 130, blockCount: 1)
        map.insert(start: 999, blockCount: 50)
        map.insert(start: 5000, blockCount: 1) // past the end: no data there
        map.insert(start: UInt64.max - 1, blockCount: 10) // overflowing range
        #expect(map.take() == [Extent(start: 128, end: 256), Extent(start: 896, end: 1000)])
    }

    @Test func wholeNamespaceEntryAndOverflowMarkEverythingUntilTaken() {
        var map = DirtyExtentMap(capacity: 4096, granularity: 8)
        map.apply(MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: 16, phaseTag: true))
        #expect(map.dirtyBlocks == 8)
        map.apply(MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 0, phaseTag: true, lbaChange: .allLBAsChanged))
        #expect(map.everythingDirty)
        map.insert(start: 100, blockCount: 1) // covered already
        #expect(map.dirtyBlocks == 4096)
        #expect(map.take() == [Extent(start: 0, end: 4096)])
        #expect(map.isEmpty)
        map.apply(.marker(.lastControllerSuspended, phaseTag: true)) // markers change nothing
        #expect(map.isEmpty)
        map.markEverythingDirty()
        #expect(map.take() == [Extent(start: 0, end: 4096)])
    }

    @Test func memoryFollowsTheNumberOfExtentsNotTheNamespace() {
        var map = DirtyExtentMap(capacity: 1 << 50, granularity: 128)
        for index in 0 ..< UInt64(10_000) { map.insert(start: index * 1_000_000_000, blockCount: 8) }
        #expect(map.extentCount == 10_000)
        #expect(map.dirtyBlocks == 10_000 * 128)
    }
}
