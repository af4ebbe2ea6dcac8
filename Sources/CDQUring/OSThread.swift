import CCDQ
#if canImport(Glibc)
import Glibc
#endif

/// A plain operating-system thread running one closure, joined explicitly.
///
/// The engine's loop, the simulated controller and workload writers each
/// own one thread for their whole life; crossing into them happens only
/// through the rings and eventfds they poll, never through a shared
/// executor. The library targets do not use Foundation, hence pthreads.
public final class OSThread: @unchecked Sendable {
    // @unchecked: `thread` is immutable; join() is called once, by the owner.
    private let thread: pthread_t

    /// Starts `body`. `name` says in an error what the thread was for; the
    /// errno is pthread_create's (e.g. EAGAIN at the process's thread limit).
    /// The thread also carries the name (the kernel keeps its first 15
    /// bytes), so `top -H`, `perf` and /proc/PID/task show which is which.
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(Body {
            _ = cdq_set_thread_name(name)
            body()
        })
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            // Balances passRetained: the box dies when the body returns.
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()
            throw SystemError("pthread_create \(name)", errno: result)
        }
        self.thread = thread
    }

    /// Waits for the body to return. Call exactly once.
    public func join() {
        pthread_join(thread, nil)
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}

/// `CLOCK_MONOTONIC`, which never jumps with the wall clock; read without
/// allocating or entering the kernel (vDSO).
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Sleeps for `nanoseconds`, resuming after signals.
    public static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && currentErrno() == EINTR { request = remaining }
    }
}
