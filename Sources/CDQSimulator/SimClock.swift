#if canImport(Glibc)
import Glibc
#endif

/// The simulator's time: `CLOCK_MONOTONIC`, which never jumps with the wall
/// clock, read without allocating (a vDSO call, no system call).
enum SimClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Sleeps for about `nanoseconds` (the kernel adds its timer slack). An
    /// interrupted sleep just returns early: callers re-read the clock.
    static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        nanosleep(&request, nil)
    }
}
