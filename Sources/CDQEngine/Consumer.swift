import Atomics
import CDQQueues
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Where the engine delivers a set of queues' entries: a bounded lock-free
/// ring with the loop thread as its only producer and one consumer thread.
///
/// Neither side makes a system call per record. The loop wakes the
/// consumer only when it said it is about to sleep: through a futex when
/// it sleeps in `wait`, through `readyEvent` when it armed that for its
/// own poll loop (`prepareToWait`). The consumer signals the loop's space
/// eventfd only when the loop said it stopped draining because the ring
/// was full. That handshake is the engine's backpressure: a full ring
/// stops its queues' draining and head updates, and nothing is dropped.
public final class Consumer: @unchecked Sendable {
    // @unchecked: the ring is SPSC by contract (loop thread / consumer
    // thread); the flags are atomics; the eventfds are thread-safe.

    public let ring: SPSCRing<CDQRecord>
    /// Signalled when records arrive after `prepareToWait`: for a consumer
    /// with its own poll loop. (`wait` sleeps on a futex instead.)
    public let readyEvent: EventFD
    /// Signalled by the consumer when it frees space the loop waits for.
    let spaceEvent: EventFD
    /// Who sleeps waiting for records: `nobody`, `onEventFD` or `onWord`
    /// (the futex word is this very flag).
    private let sleeper = WakeWord(Sleeper.nobody)
    private enum Sleeper {
        static let nobody: UInt32 = 0
        static let onEventFD: UInt32 = 1
        static let onWord: UInt32 = 2
    }
    private let loopWaitingForSpace = ManagedAtomic<Bool>(false)
    /// The engine this consumer belongs to (0: none yet). The ring has one
    /// producer, so a consumer serves queues of one engine only.
    let owner = ManagedAtomic<UInt>(0)
    private let calls = ManagedAtomic<UInt64>(0)

    /// System calls the consumer side made here: eventfd polls and reads
    /// while it waited, signals to the loop when it freed space. Zero per
    /// record while records keep arriving.
    public var systemCalls: UInt64 { calls.load(ordering: .relaxed) }

    public init(capacity: Int = 4096) throws(SystemError) {
        ring = SPSCRing(capacity: capacity)
        readyEvent = try EventFD()
        spaceEvent = try EventFD()
    }

    // MARK: Consumer side

    /// Copies up to `buffer.count` records out; returns how many.
    public func pop(into buffer: UnsafeMutableBufferPointer<CDQRecord>) -> Int {
        let count = ring.pop(into: buffer)
        if count > 0 { spaceFreed() }
        return count
    }

    /// One record, or nil when none is waiting.
    public func tryPop() -> CDQRecord? {
        guard let record = ring.tryPop() else { return nil }
        spaceFreed()
        return record
    }

    /// A contiguous run of waiting records, read in place; give it back with `release`.
    public func peek(max: Int) -> UnsafeBufferPointer<CDQRecord> { ring.peek(max: max) }

    /// Returns `count` peeked records to the ring.
    public func release(_ count: Int) {
        ring.release(count)
        if count > 0 { spaceFreed() }
    }

    /// Blocks until records are waiting or `timeoutNanoseconds` pass (nil:
    /// forever). Returns true when records are waiting.
    @discardableResult
    public func wait(timeoutNanoseconds: UInt64? = nil) -> Bool {
        if !ring.isEmpty { return true }
        sleeper.atomic.store(Sleeper.onWord, ordering: .sequentiallyConsistent)
        defer { sleeper.atomic.store(Sleeper.nobody, ordering: .relaxed) }
        // Re-check after announcing: the loop may have pushed just before.
        if !ring.isEmpty { return true }
        calls.wrappingIncrement(ordering: .relaxed) // the futex wait
        // Returns at once if the loop already took the word back to `nobody`.
        sleeper.wait(whileEqualTo: Sleeper.onWord, timeoutNanoseconds: timeoutNanoseconds)
        return !ring.isEmpty
    }

    /// Announces that the consumer will sleep on `readyEvent`: the loop
    /// signals it after its next push. Check the ring again after calling.
    public func prepareToWait() {
        sleeper.atomic.store(Sleeper.onEventFD, ordering: .sequentiallyConsistent)
    }

    private func spaceFreed() {
        // Dekker-style handshake with waitForSpace(): our head store must be
        // visible before we read the flag, or both sides could miss the other.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if loopWaitingForSpace.load(ordering: .relaxed),
           loopWaitingForSpace.exchange(false, ordering: .acquiringAndReleasing) {
            calls.wrappingIncrement(ordering: .relaxed)
            try? spaceEvent.signal()
        }
    }

    // MARK: Loop side

    /// Called by the loop after it committed records into the ring; true
    /// when it signalled `readyEvent` (a system call).
    @discardableResult
    func wakeConsumer() -> Bool {
        // Pairs with prepareToWait(): the tail store before the flag load.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard sleeper.atomic.load(ordering: .relaxed) != Sleeper.nobody else { return false }
        switch sleeper.atomic.exchange(Sleeper.nobody, ordering: .acquiringAndReleasing) {
        case Sleeper.onEventFD:
            try? readyEvent.signal()
            return true
        case Sleeper.onWord:
            sleeper.wake()
            return true
        default:
            return false
        }
    }

    /// Run-to-completion: the loop gives back `count` records it handed to
    /// the inline handler itself. No space signal: the loop is this very
    /// thread and unstalls its queues directly.
    func releaseInline(_ count: Int) {
        ring.release(count)
        loopWaitingForSpace.store(false, ordering: .relaxed)
    }

    /// The loop found the ring full: ask for a signal when space frees up.
    /// Returns true if space appeared meanwhile (no signal will come; go on).
    func waitForSpace() -> Bool {
        loopWaitingForSpace.store(true, ordering: .sequentiallyConsistent)
        if ring.freeSpace > 0 {
            loopWaitingForSpace.store(false, ordering: .relaxed)
            return true
        }
        return false
    }
}
