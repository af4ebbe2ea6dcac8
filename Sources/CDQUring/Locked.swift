#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex, for the project's few cold-path locks
/// (registration, the simulator's admin commands and per-controller state).
///
/// pthread rather than Synchronization.Mutex: ThreadSanitizer understands
/// pthread locks, while Mutex's futex calls are invisible to it and every
/// access it guards would be reported as a race.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched between lock and unlock.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
