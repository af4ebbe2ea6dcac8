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
/// Two parts. `extents` is sorted, disjoint and non-touching (overlapping
/// and neighbouring ranges are merged). New ranges are appended to
/// `pending`, unsorted, and folded in by `compact()` once `pending` holds
/// a quarter as many ranges as `extents` (at least 4096), or when anyone
/// looks: one sort of the pending ranges and one linear merge. Inserting
/// into the sorted array directly would move half of it per random insert
/// (tens of microseconds with 100,000 extents); this way an insert costs
/// an append plus an amortised share of a sort and a merge. A range past
/// the last extent (sequential writers) extends or appends in place.
/// Memory is proportional to the number of disjoint extents: `pending`
/// never exceeds a quarter of them plus 4096.
///
/// Ranges are rounded out to `granularity` blocks on insert: a copy engine
/// copies in aligned units anyway, and rounding merges the many small
/// writes of a hot region into few extents.
///
/// "Everything is dirty" is a state of its own, entered when the controller
/// says so (an entry with LBACIR = 1) or when changes were lost (a queue
/// overflow): then the next round copies the whole namespace, and ranges
/// inserted meanwhile are dropped since they are covered.
///
/// The read accessors are `mutating` because they compact first.
public struct DirtyExtentMap: Sendable {
    /// Logical blocks in the namespace; extents never go past it.
    public let capacity: UInt64
    /// Blocks per copy unit, a power of two.
    public let granularity: UInt64
    /// True until the next `take()` once the whole namespace must be copied.
    public private(set) var everythingDirty = false
    /// Sorted, disjoint and non-touching.
    private var extents: [Extent] = []
    /// Inserted since the last compaction, in arrival order.
    private var pending: [Extent] = []
    /// Where a compaction builds the merged array; kept to reuse its storage.
    private var scratch: [Extent] = []
    /// Sum of `extents`' block counts.
    private var dirtyCount: UInt64 = 0

    /// Fewest pending ranges that trigger a compaction on insert.
    static let minimumPending = 4096

    /// - Precondition: `capacity > 0` and `granularity` a power of two.
    public init(capacity: UInt64, granularity: UInt64 = 1) {
        precondition(capacity > 0, "a namespace has at least one block")
        precondition(granularity > 0 && granularity & (granularity - 1) == 0, "granularity must be a power of two")
        self.capacity = capacity
        self.granularity = granularity
    }

    /// Blocks a `take()` would return now.
    public var dirtyBlocks: UInt64 {
        mutating get {
            compact()
            return everythingDirty ? capacity : dirtyCount
        }
    }

    /// Disjoint extents held (1 when everything is dirty).
    public var extentCount: Int {
        mutating get {
            compact()
            return everythingDirty ? 1 : extents.count
        }
    }

    public var isEmpty: Bool { !everythingDirty && extents.isEmpty && pending.isEmpty }

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
        pending.removeAll(keepingCapacity: true)
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
        compact()
        let taken = extents
        extents = []
        dirtyCount = 0
        return taken
    }

    /// The extents without clearing (for tests and progress).
    public var snapshot: [Extent] {
        mutating get {
            compact()
            return everythingDirty ? [Extent(start: 0, end: capacity)] : extents
        }
    }

    // MARK: Merging

    private mutating func insert(_ new: Extent) {
        if pending.isEmpty {
            // In place when past, touching or overlapping the tail of the last extent.
            if extents.isEmpty || new.start > extents[extents.count - 1].end {
                extents.append(new)
                dirtyCount += new.blockCount
                return
            }
            let last = extents.count - 1
            if new.start >= extents[last].start {
                if new.end > extents[last].end {
                    dirtyCount += new.end - extents[last].end
                    extents[last].end = new.end
                }
                return
            }
        }
        pending.append(new)
        if pending.count >= max(Self.minimumPending, extents.count / 4) { compact() }
    }

    /// Folds `pending` into `extents`: sort, then one merge pass that
    /// coalesces overlapping and touching extents.
    public mutating func compact() {
        guard !pending.isEmpty else { return }
        pending.sort { $0.start < $1.start }
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(extents.count + pending.count)
        var count: UInt64 = 0
        var old = 0, new = 0
        var current: Extent?
        while old < extents.count || new < pending.count {
            let next: Extent
            if new == pending.count || (old < extents.count && extents[old].start <= pending[new].start) {
                next = extents[old]; old += 1
            } else {
                next = pending[new]; new += 1
            }
            if var open = current, next.start <= open.end {
                open.end = max(open.end, next.end)
                current = open
            } else {
                if let open = current { scratch.append(open); count += open.blockCount }
                current = next
            }
        }
        if let open = current { scratch.append(open); count += open.blockCount }
        swap(&extents, &scratch)
        pending.removeAll(keepingCapacity: true)
        dirtyCount = count
    }
}
