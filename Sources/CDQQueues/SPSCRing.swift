// The hot-path queue: a bounded single-producer single-consumer ring of
// fixed-size records. The engine's event loop pushes CDQ entries into one
// ring per consumer; each consumer pops them on its own thread.

import Atomics

/// A bounded, lock-free ring for exactly one producer thread and one consumer
/// thread.
///
/// **Indices.** `tail` (written only by the producer) and `head` (written only
/// by the consumer) count records ever pushed and popped. They only grow, so
/// `tail - head` is the number of records in the ring: full and empty are told
/// apart without wasting a slot, and no side ever writes the other's index.
/// The arithmetic wraps (`&+`, `&-`), which keeps working even after 2^63
/// records (at a billion records a second, after 292 years).
///
/// **Capacity.** The requested capacity is rounded up to the next power of
/// two (1 stays 1, 5 becomes 8), so that a slot is `index & mask` instead of a
/// division, and the slot stays right when the index wraps through `Int.max`
/// (2^64 is a multiple of every power of two up to it). A capacity of 1 is a
/// working one-record mailbox: full is `tail - head == 1`.
///
/// **Ordering.** Each side publishes its index with a release store after
/// touching the slots, and reads the other side's index with an acquire load
/// before touching them:
/// - producer writes slots, then stores `tail` (release); the consumer loads
///   `tail` (acquire), then reads the slots: it sees the records complete.
/// - consumer reads slots, then stores `head` (release); the producer loads
///   `head` (acquire), then overwrites the slots: it never overwrites a
///   record the consumer is still reading.
///
/// **Cached indices.** Loading the other side's index pulls its cache line
/// away from that side's core. So each side keeps a private copy of the other
/// index next to its own, and reloads it only when the copy says there is not
/// enough: the producer when its cached head leaves too little free space
/// (for a single push: the ring looks full), the consumer when its cached tail
/// shows too few records (for a single pop: the ring looks empty). The copy
/// is never ahead of the real index, so it is always a safe, pessimistic view.
///
/// **Layout.** The producer's state (tail, cached head, open reservation) and
/// the consumer's state (head, cached tail, open peek) each occupy their own
/// 128 bytes, in memory allocated at init: 128 rather than 64 because CPUs
/// prefetch cache lines in adjacent pairs. They live outside the object so
/// that reference counting on the object header never shares their lines.
/// The slots are allocated once, 64-byte aligned, and touched at init;
/// nothing allocates or faults after init.
///
/// **Why `@unchecked Sendable` is sound.** The ring is shared by reference
/// between two threads by design. All state either side writes is either an
/// atomic index published with release and read with acquire, or private to
/// one side (its cached copy, its open reservation or peek, the slots it
/// currently owns by the index arithmetic above). This holds under the
/// contract that exactly one thread calls the producer methods and exactly
/// one thread calls the consumer methods at a time; the type cannot check
/// that contract, hence unchecked. The observers (`count`, `isEmpty`,
/// `freeSpace`, `capacity`) only read and are safe from any thread.
///
/// Hot-path methods are `@inlinable` so that callers in other modules get
/// them specialised for their element type (a record copy becomes a few
/// moves instead of a generic call).
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    /// The number of records the ring holds when full: the requested
    /// capacity rounded up to a power of two.
    public let capacity: Int

    /// `capacity - 1`: `index & mask` is the slot of an index.
    @usableFromInline let mask: Int

    /// `capacity` slots, 64-byte aligned.
    @usableFromInline let slots: UnsafeMutablePointer<Element>

    /// Both sides' state, 128 bytes each (see `SideLayout`).
    @usableFromInline let sides: UnsafeMutableRawPointer

    // Producer side (bytes 0..<128 of `sides`).
    /// Records ever pushed. Written only by the producer.
    @usableFromInline let tail: UnsafeAtomic<Int>
    /// The producer's last view of `head`; never ahead of it.
    @usableFromInline let cachedHead: UnsafeMutablePointer<Int>
    /// Slots handed out by `reserve` and not yet committed.
    @usableFromInline let reservedCount: UnsafeMutablePointer<Int>

    // Consumer side (bytes 128..<256 of `sides`).
    /// Records ever popped. Written only by the consumer.
    @usableFromInline let head: UnsafeAtomic<Int>
    /// The consumer's last view of `tail`; never ahead of it.
    @usableFromInline let cachedTail: UnsafeMutablePointer<Int>
    /// Records handed out by `peek` and not yet released.
    @usableFromInline let peekedCount: UnsafeMutablePointer<Int>

    /// Creates an empty ring holding at least `capacity` records.
    ///
    /// - Parameter requested: at least 1; rounded up to a power of two.
    public init(capacity requested: Int) {
        precondition(requested >= 1, "an SPSCRing needs a capacity of at least 1, not \(requested)")
        precondition(requested <= 1 << (Int.bitWidth - 2), "capacity \(requested) is too large")
        capacity = Self.powerOfTwo(atLeast: requested)
        mask = capacity - 1
        slots = Self.allocateSlots(capacity)
        sides = SideLayout.allocate()
        tail = UnsafeAtomic(at: SideLayout.atomic(in: sides, at: SideLayout.producer))
        cachedHead = SideLayout.plain(in: sides, at: SideLayout.producer + SideLayout.cachedOther)
        reservedCount = SideLayout.plain(in: sides, at: SideLayout.producer + SideLayout.openWindow)
        head = UnsafeAtomic(at: SideLayout.atomic(in: sides, at: SideLayout.consumer))
        cachedTail = SideLayout.plain(in: sides, at: SideLayout.consumer + SideLayout.cachedOther)
        peekedCount = SideLayout.plain(in: sides, at: SideLayout.consumer + SideLayout.openWindow)
    }

    deinit {
        // Every field in `sides` and every slot is a trivial type: nothing to
        // deinitialize.
        UnsafeMutableRawPointer(slots).deallocate()
        sides.deallocate()
    }

    // MARK: - Producer (one thread)

    /// Appends `element`; returns false, changing nothing, when the ring is
    /// full. Ends an open reservation when it pushes.
    @inlinable
    public func tryPush(_ element: Element) -> Bool {
        let tail = self.tail.load(ordering: .relaxed)
        guard freeSlots(tail: tail, wanted: 1) > 0 else { return false }
        slots[tail & mask] = element
        publishTail(tail &+ 1)
        return true
    }

    /// Appends as many of `elements`, in order, as fit; returns how many.
    /// Ends an open reservation when it pushes.
    @inlinable
    public func push(contentsOf elements: UnsafeBufferPointer<Element>) -> Int {
        guard let source = elements.baseAddress else { return 0 }
        let tail = self.tail.load(ordering: .relaxed)
        let pushed = min(elements.count, freeSlots(tail: tail, wanted: min(elements.count, capacity)))
        guard pushed > 0 else { return 0 }
        copyIntoSlots(from: source, count: pushed, at: tail)
        publishTail(tail &+ pushed)
        return pushed
    }

    /// Hands out the next free slots for writing in place: at most `max`,
    /// fewer when the ring has less space or the slots wrap around (only the
    /// contiguous part up to the end of the storage is returned; reserve again
    /// after committing for the rest). Empty when the ring is full.
    ///
    /// Nothing is visible to the consumer until `commit`. The buffer is valid
    /// until the next producer call; a reservation that is not committed is
    /// simply dropped by the next `reserve`, `tryPush` or `push`.
    @inlinable
    public func reserve(max: Int) -> UnsafeMutableBufferPointer<Element> {
        precondition(max >= 0, "reserve(max: \(max)) needs max >= 0")
        let tail = self.tail.load(ordering: .relaxed)
        let start = tail & mask
        let contiguous = min(max, capacity &- start)
        let granted = min(contiguous, freeSlots(tail: tail, wanted: contiguous))
        reservedCount.pointee = granted
        return UnsafeMutableBufferPointer(start: slots + start, count: granted)
    }

    /// Publishes the first `count` slots of the open reservation, which the
    /// caller has written. The rest of the reservation stays open.
    @inlinable
    public func commit(_ count: Int) {
        let reserved = reservedCount.pointee
        precondition(count >= 0 && count <= reserved, "commit(\(count)) exceeds the \(reserved) slots reserved")
        let tail = self.tail.load(ordering: .relaxed)
        assert(tail &+ count &- cachedHead.pointee <= capacity, "commit would overrun the consumer")
        self.tail.store(tail &+ count, ordering: .releasing)
        reservedCount.pointee = reserved &- count
    }

    /// Free slots after `tail`, by the cached head if that leaves `wanted`,
    /// else by a fresh load of head.
    @inlinable
    func freeSlots(tail: Int, wanted: Int) -> Int {
        var free = capacity &- (tail &- cachedHead.pointee)
        if free < wanted {
            // Acquire: pairs with the consumer's release of head, so its reads
            // of the slots we are about to overwrite are complete.
            cachedHead.pointee = head.load(ordering: .acquiring)
            free = capacity &- (tail &- cachedHead.pointee)
        }
        assert(free >= 0 && free <= capacity, "tail - head outside 0...capacity")
        return free
    }

    /// Makes the slots before `newTail` visible to the consumer.
    @inlinable
    func publishTail(_ newTail: Int) {
        reservedCount.pointee = 0
        // Release: the slot writes above happen before the consumer sees them.
        tail.store(newTail, ordering: .releasing)
    }

    /// Copies `count` records into the slots starting at index `tail`, in up
    /// to two pieces: up to the end of the storage, then from its start.
    @inlinable
    func copyIntoSlots(from source: UnsafePointer<Element>, count: Int, at tail: Int) {
        let start = tail & mask
        let first = min(count, capacity &- start)
        Self.copy(count: first, from: source, to: slots + start)
        Self.copy(count: count &- first, from: source + first, to: slots)
    }

    // MARK: - Consumer (one thread)

    /// Removes and returns the oldest record, or nil when the ring is empty.
    /// Ends an open peek when it pops.
    @inlinable
    public func tryPop() -> Element? {
        let head = self.head.load(ordering: .relaxed)
        guard filledSlots(head: head, wanted: 1) > 0 else { return nil }
        let element = slots[head & mask]
        publishHead(head &+ 1)
        return element
    }

    /// Moves up to `buffer.count` of the oldest records, in order, into
    /// `buffer`; returns how many. Ends an open peek when it pops.
    @inlinable
    public func pop(into buffer: UnsafeMutableBufferPointer<Element>) -> Int {
        guard let destination = buffer.baseAddress else { return 0 }
        let head = self.head.load(ordering: .relaxed)
        let popped = min(buffer.count, filledSlots(head: head, wanted: min(buffer.count, capacity)))
        guard popped > 0 else { return 0 }
        copyOutOfSlots(to: destination, count: popped, at: head)
        publishHead(head &+ popped)
        return popped
    }

    /// Hands out the oldest records for reading in place: at most `max`,
    /// fewer when the ring holds fewer or they wrap around (only the
    /// contiguous part up to the end of the storage is returned; peek again
    /// after releasing for the rest). Empty when the ring is empty.
    ///
    /// The records stay in the ring until `release`. The buffer is valid
    /// until the next consumer call; a peek that is not released is simply
    /// replaced by the next `peek`, or ended by `tryPop` or `pop`.
    @inlinable
    public func peek(max: Int) -> UnsafeBufferPointer<Element> {
        precondition(max >= 0, "peek(max: \(max)) needs max >= 0")
        let head = self.head.load(ordering: .relaxed)
        let start = head & mask
        let contiguous = min(max, capacity &- start)
        let granted = min(contiguous, filledSlots(head: head, wanted: contiguous))
        peekedCount.pointee = granted
        return UnsafeBufferPointer(start: slots + start, count: granted)
    }

    /// Removes the first `count` records of the open peek, which the caller
    /// has finished reading. The rest of the peek stays open.
    @inlinable
    public func release(_ count: Int) {
        let peeked = peekedCount.pointee
        precondition(count >= 0 && count <= peeked, "release(\(count)) exceeds the \(peeked) records peeked")
        let head = self.head.load(ordering: .relaxed)
        assert(cachedTail.pointee &- (head &+ count) >= 0, "release would overtake the producer")
        self.head.store(head &+ count, ordering: .releasing)
        peekedCount.pointee = peeked &- count
    }

    /// Records after `head`, by the cached tail if that shows `wanted`, else
    /// by a fresh load of tail.
    @inlinable
    func filledSlots(head: Int, wanted: Int) -> Int {
        var filled = cachedTail.pointee &- head
        if filled < wanted {
            // Acquire: pairs with the producer's release of tail, so the
            // records it published are completely written before we read them.
            cachedTail.pointee = tail.load(ordering: .acquiring)
            filled = cachedTail.pointee &- head
        }
        assert(filled >= 0 && filled <= capacity, "tail - head outside 0...capacity")
        return filled
    }

    /// Hands the slots before `newHead` back to the producer.
    @inlinable
    func publishHead(_ newHead: Int) {
        peekedCount.pointee = 0
        // Release: the slot reads above happen before the producer reuses them.
        head.store(newHead, ordering: .releasing)
    }

    /// Copies `count` records out of the slots starting at index `head`, in
    /// up to two pieces: up to the end of the storage, then from its start.
    @inlinable
    func copyOutOfSlots(to destination: UnsafeMutablePointer<Element>, count: Int, at head: Int) {
        let start = head & mask
        let first = min(count, capacity &- start)
        Self.copy(count: first, from: slots + start, to: destination)
        Self.copy(count: count &- first, from: slots, to: destination + first)
    }

    // MARK: - Observers (any thread, approximate)

    /// Records in the ring. The two indices are read one after the other, not
    /// as one snapshot, so the result is clamped to `0...capacity`. On the
    /// consumer's thread it is a lower bound of what it can pop.
    public var count: Int {
        // Relaxed: an observer publishes nothing and reads no slots.
        let head = self.head.load(ordering: .relaxed)
        let tail = self.tail.load(ordering: .relaxed)
        return min(max(tail &- head, 0), capacity)
    }

    /// Whether the ring holds no records (approximate, like `count`).
    public var isEmpty: Bool { count == 0 }

    /// Slots free for pushing: `capacity - count`. On the producer's thread
    /// it is a lower bound of what it can push.
    public var freeSpace: Int { capacity - count }

    // MARK: - Helpers

    /// The smallest power of two that is at least `requested` (>= 1).
    static func powerOfTwo(atLeast requested: Int) -> Int {
        1 << (Int.bitWidth - (requested - 1).leadingZeroBitCount)
    }

    static func allocateSlots(_ capacity: Int) -> UnsafeMutablePointer<Element> {
        let (byteCount, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "capacity \(capacity) is too large for \(Element.self)")
        let alignment = max(64, MemoryLayout<Element>.alignment)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
        // Touched now, so the producer's first lap takes no page fault (one
        // every 4 KiB, a few microseconds each: on a run-to-completion
        // engine, the p99 of delivery until the ring had wrapped once).
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return raw.bindMemory(to: Element.self, capacity: capacity)
    }

    /// Copies `count` records as bytes (a `memcpy`): the records are
    /// `BitwiseCopyable`, and the two ranges never overlap.
    @inlinable
    static func copy(count: Int, from source: UnsafePointer<Element>, to destination: UnsafeMutablePointer<Element>) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count &* MemoryLayout<Element>.stride)
    }
}

/// The block holding both sides' state of an `SPSCRing`, as byte offsets.
/// Each side owns 128 bytes (two cache lines, since CPUs prefetch lines in
/// adjacent pairs): its own atomic index first, then its cached copy of the
/// other index, then its open reservation or peek.
enum SideLayout {
    static let producer = 0
    static let consumer = 128
    static let cachedOther = 8
    static let openWindow = 16
    static let byteCount = 256
    static let alignment = 128

    static func allocate() -> UnsafeMutableRawPointer {
        let sides = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
        sides.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return sides
    }

    /// An atomic index at `offset`, initialised to 0.
    static func atomic(in sides: UnsafeMutableRawPointer, at offset: Int) -> UnsafeMutablePointer<Int.AtomicRepresentation> {
        let pointer = (sides + offset).bindMemory(to: Int.AtomicRepresentation.self, capacity: 1)
        pointer.initialize(to: Int.AtomicRepresentation(0))
        return pointer
    }

    /// A plain `Int` at `offset`, initialised to 0, owned by one side.
    static func plain(in sides: UnsafeMutableRawPointer, at offset: Int) -> UnsafeMutablePointer<Int> {
        let pointer = (sides + offset).bindMemory(to: Int.self, capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }
}
