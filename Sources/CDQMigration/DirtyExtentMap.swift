import CDQNVMe

/// A half-open range of logical blocks, `start ..< end`.
public struct Extent: Sendable, Hashable, CustomStringConvertible {
    public var start: UInt64
    public var end: UInt64

    public init(start: UInt64, end: UInt64) {
        precondition(start <= end, "an extent ends after it starts")
        self.start = start
        self.end = end
    }

    public var blockCount: UInt64 { end - start }
    public var description: String { "\(start)..<\(end)" }
}

/// The LBAs of one namespace that changed since the last copy round, as the
/// CDQ entries reported them: what a copy engine must copy again.
///
/// Kept as a sorted array of disjoint extents, never touching each other
/// (overlapping and neighbouring ranges are merged on insert), so memory
/// grows with the number of disjoint extents, not with the namespace. A
/// sorted array beats a tree here: inserts that land past the last extent
/// (sequential writers) append, the rest binary-search and move a few
/// elements, and taking a round's work is handing the array over.
///
/// Ranges are rounded out to `granularity` blocks on insert: a copy engine
/// copies in units of, say, 64 KiB anyway, and rounding merges the many
/// small writes of a hot region into few extents.
///
/// "Everything is dirty" is a state of its own, entered when the controller
/// says so (an entry with LBACIR = 1) or when changes were lost (a queue
/// overflow): then the next round copies the whole namespace, and extents
/// inserted meanwhile are dropped since they are covered.
public struct DirtyExtentMap: Sendable {
    /// Logical blocks in the namespace; extents never go past it.
    public let capacity: UInt64
    /// Blocks per copy unit, a power of two.
    public let granularity: UInt64
    /// True until the next `take()` once the whole namespace must be copied.
    public private(set) var everythingDirty = false
    /// Sorted, disjoint and non-adjacent.
    private var extents: [Extent] = []
    /// Sum of the extents' block counts.
    private var dirtyCount: UInt64 = 0

    /// - Precondition: `capacity > 0` and `granularity` a power of two.
    public init(capacity: UInt64, granularity: UInt64 = 1) {
        precondition(capacity > 0, "a namespace has at least one block")
        precondition(granularity > 0 && granularity & (granularity - 1) == 0, "granularity must be a power of two")
        self.capacity = capacity
        self.granularity = granularity
    }

    /// Blocks a `take()` would return now.
    public var dirtyBlocks: UInt64 { everythingDirty ? capacity : dirtyCount }
    /// Disjoint extents held (1 when everything is dirty).
    public var extentCount: Int { everythingDirty ? 1 : extents.count }
    public var isEmpty: Bool { !everythingDirty && extents.isEmpty }

    /// Marks `blockCount` blocks from `start` dirty, rounded out to the
    /// granularity and clipped to the namespace (a range past its end names
    /// no data, so nothing of it is lost by clipping).
    public mutating func insert(start: UInt64, blockCount: UInt64) {
        guard !everythingDirty, blockCount > 0, start < capacity else { return }
        let mask = granularity - 1
        let first = start & ~mask
        let (last, overflow) = start.addingReportingOverflow(blockCount)
        let end = overflow ? capacity : min(capacity, (last &+ mask) & ~mask)
        // end > first: blockCount > 0 and start < capacity.
        insert(Extent(start: first, end: end))
    }

    /// The whole namespace is dirty until the next `take()`.
    public mutating func markEverythingDirty() {
        everythingDirty = true
        extents.removeAll(keepingCapacity: true)
        dirtyCount = 0
    }

    /// Applies one CDQ entry of this namespace: a range change is inserted,
    /// LBACIR 1 (and the reserved LBACIR 3, read conservatively) marks
    /// everything, markers change nothing.
    public mutating func apply(_ entry: MigrationQueueEntry, convention: NLBConvention = .specification) {
        guard !entry.isMarker else { return }
        switch entry.lbaChange {
        case .rangeChanged: insert(start: entry.startingLBA, blockCount: entry.blockCount(convention: convention))
        case .allLBAsChanged, .reserved: markEverythingDirty()
        case .noLBAChange: break
        }
    }

    /// The dirty extents in LBA order, and the map emptied: one copy round's
    /// work. Everything dirty comes back as the one extent `0 ..< capacity`.
    public mutating func take() -> [Extent] {
        if everythingDirty {
            everythingDirty = false
            return [Extent(start: 0, end: capacity)]
        }
        let taken = extents
        extents.removeAll(keepingCapacity: true)
        dirtyCount = 0
        return taken
    }

    /// A copy of the extents without clearing (for tests and progress).
    public var snapshot: [Extent] { everythingDirty ? [Extent(start: 0, end: capacity)] : extents }

    // MARK: Merging

    private mutating func insert(_ new: Extent) {
        // Fast path: past the last extent (sequential writers, or the first insert).
        if extents.isEmpty || new.start > extents[extents.count - 1].end {
            extents.append(new)
            dirtyCount += new.blockCount
            return
        }
        // First extent that ends at or after the new start (touching merges).
        let low = firstIndex { $0.end >= new.start }
        var high = low
        var merged = new
        while high < extents.count, extents[high].start <= new.end {
            merged.start = min(merged.start, extents[high].start)
            merged.end = max(merged.end, extents[high].end)
            dirtyCount -= extents[high].blockCount
            high += 1
        }
        dirtyCount += merged.blockCount
        if high == low {
            extents.insert(merged, at: low)
        } else {
            extents[low] = merged
            if high > low + 1 { extents.removeSubrange(low + 1 ..< high) }
        }
    }

    /// Binary search: the first index whose extent satisfies `predicate`,
    /// which is false then true along the sorted array.
    private func firstIndex(where predicate: (Extent) -> Bool) -> Int {
        var low = 0, high = extents.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(extents[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
