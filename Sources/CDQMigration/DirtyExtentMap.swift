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
/// half as many ranges as `extents` (at least 4096), or when anyone
/// looks: one radix sort of the pending ranges and one linear merge. Inserting
/// into the sorted array directly would move half of it per random insert
/// (tens of microseconds with 100,000 extents); this way an insert costs
/// an append plus an amortised share of a sort and a merge. A range past
/// the last extent (sequential writers) extends or appends in place.
/// Memory is proportional to the number of disjoint extents: `pending`
/// never exceeds half of them plus 4096.
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
    /// The other half of the radix sort's ping-pong; kept to reuse its storage.
    private var sortBuffer: [Extent] = []
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
    /// granularity and clipped to the namespace. Returns false when any of
    /// the range lies past the namespace (or past 2^64): such a range came
    /// from an entry that cannot be trusted, and the caller must count it
    /// and decide (a copy engine marks everything dirty); it is never
    /// dropped without a word.
    @discardableResult
    public mutating func insert(start: UInt64, blockCount: UInt64) -> Bool {
        let fits = start < capacity && blockCount <= capacity - start
        guard !everythingDirty, blockCount > 0, start < capacity else { return fits }
        let mask = granularity - 1
        let first = start & ~mask
        let (last, overflow) = start.addingReportingOverflow(blockCount)
        let end = overflow ? capacity : min(capacity, (last &+ mask) & ~mask)
        // end > first: blockCount > 0 and start < capacity.
        insert(Extent(start: first, end: end))
        return fits
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
    /// everything, markers change nothing. False when the range does not
    /// fit the namespace (see `insert`).
    @discardableResult
    public mutating func apply(_ entry: MigrationQueueEntry, convention: NLBConvention = .specification) -> Bool {
        guard !entry.isMarker else { return true }
        switch entry.lbaChange {
        case .rangeChanged: return insert(start: entry.startingLBA, blockCount: entry.blockCount(convention: convention))
        case .allLBAsChanged, .reserved: markEverythingDirty()
        case .noLBAChange: break
        }
        return true
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
        if pending.count >= max(Self.minimumPending, extents.count / 2) { compact() }
    }

    /// Sorts `pending` by start. A least-significant-digit radix sort on
    /// 11-bit digits, over only the bits a start can have (above the
    /// granularity, below the capacity), skipping digits all starts share:
    /// 2 or 3 linear passes instead of a comparison sort's log2(n) rounds,
    /// which made the sort most of an insert's cost. Small batches use the
    /// standard sort.
    private mutating func sortPending() {
        let count = pending.count
        guard count >= 256 else {
            pending.sort { $0.start < $1.start }
            return
        }
        let lowBit = granularity.trailingZeroBitCount
        let highBit = 64 - (capacity - 1).leadingZeroBitCount
        sortBuffer.removeAll(keepingCapacity: true)
        sortBuffer.append(contentsOf: pending)
        var buckets = [Int](repeating: 0, count: 2048)
        var shift = lowBit
        while shift < highBit {
            if Self.radixPass(from: &pending, to: &sortBuffer, shift: shift, buckets: &buckets) {
                swap(&pending, &sortBuffer)
            }
            shift += 11
        }
    }

    /// One stable pass on the digit at `shift`; false (and nothing moved)
    /// when every start has the same digit there.
    private static func radixPass(from source: inout [Extent], to target: inout [Extent], shift: Int, buckets: inout [Int]) -> Bool {
        source.withUnsafeBufferPointer { from in
            target.withUnsafeMutableBufferPointer { to in
                buckets.withUnsafeMutableBufferPointer { counts in
                    for index in counts.indices { counts[index] = 0 }
                    for extent in from { counts[Int((extent.start >> UInt64(shift)) & 2047)] += 1 }
                    if counts.contains(from.count) { return false }
                    var sum = 0
                    for index in counts.indices {
                        let bucket = counts[index]
                        counts[index] = sum
                        sum += bucket
                    }
                    for extent in from {
                        let digit = Int((extent.start >> UInt64(shift)) & 2047)
                        to[counts[digit]] = extent
                        counts[digit] += 1
                    }
                    return true
                }
            }
        }
    }

    /// Folds `pending` into `extents`: sort, then one merge pass that
    /// coalesces overlapping and touching extents.
    public mutating func compact() {
        guard !pending.isEmpty else { return }
        sortPending()
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(extents.count + pending.count)
        dirtyCount = extents.withUnsafeBufferPointer { old in
            pending.withUnsafeBufferPointer { new in Self.merge(old, new, into: &scratch) }
        }
        swap(&extents, &scratch)
        pending.removeAll(keepingCapacity: true)
    }

    /// Merges two sorted runs into `output`, coalescing overlapping and
    /// touching extents; returns the blocks covered.
    private static func merge(_ old: UnsafeBufferPointer<Extent>, _ new: UnsafeBufferPointer<Extent>, into output: inout [Extent]) -> UInt64 {
        var covered: UInt64 = 0
        var i = 0, j = 0
        var open = old.count > 0 && (new.count == 0 || old[0].start <= new[0].start) ? old[0] : new[0]
        while i < old.count || j < new.count {
            let next: Extent
            if j == new.count || (i < old.count && old[i].start <= new[j].start) {
                next = old[i]; i += 1
            } else {
                next = new[j]; j += 1
            }
            if next.start <= open.end {
                if next.end > open.end { open.end = next.end }
            } else {
                output.append(open)
                covered += open.end - open.start
                open = next
            }
        }
        output.append(open)
        return covered + open.end - open.start
    }
}
