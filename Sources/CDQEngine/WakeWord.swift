import Atomics
import CCDQ

/// A 32-bit atomic word that one thread can sleep on until another changes
/// it (futex(2)).
///
/// Why not an eventfd: waking a thread through an eventfd costs three
/// system calls (the signal, then the sleeper's poll and its read to reset
/// the counter); through a futex it costs two (the wake and the wait). The
/// consumer thread sleeps once per loop turn that delivers to it, so that
/// difference is a third of its calls.
final class WakeWord: @unchecked Sendable {
    // @unchecked: the word is only touched atomically (or by the kernel).
    private let storage: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>

    init(_ value: UInt32) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: .init(value))
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// The word itself, for the caller's atomic operations.
    var atomic: UnsafeAtomic<UInt32> { UnsafeAtomic(at: storage) }

    /// Sleeps while the word holds `expected`, at most `timeoutNanoseconds`
    /// (nil: no limit). Returns at once if it no longer does; may also
    /// return early (a signal, a stale wake), so callers look again.
    func wait(whileEqualTo expected: UInt32, timeoutNanoseconds: UInt64?) {
        let timeout = timeoutNanoseconds.map { Int64(clamping: $0) } ?? -1
        _ = cdq_futex_wait(UnsafeMutableRawPointer(storage).assumingMemoryBound(to: UInt32.self), expected, timeout)
    }

    /// Wakes the thread sleeping on the word, if any. Change the word first.
    func wake() {
        _ = cdq_futex_wake(UnsafeMutableRawPointer(storage).assumingMemoryBound(to: UInt32.self), 1)
    }
}
