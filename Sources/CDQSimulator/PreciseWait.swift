import CCDQ
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The controller thread's timed sleep: a doorbell eventfd, or a deadline
/// on the monotonic clock, whichever comes first, to the microsecond.
///
/// `EventFD.wait` rounds timeouts up to whole milliseconds (poll(2)); the
/// admin cost model needs 10 µs service times honoured, so this waits with
/// ppoll(2)'s nanoseconds, on a thread whose timer slack is 1 ns (Linux
/// otherwise lets a timed sleep end up to 50 µs late). What accuracy that
/// gives is measured by `AdminStatistics` and written in docs/simulator.md.
enum PreciseWait {
    /// Makes the calling thread's timed sleeps end as close to their
    /// deadline as the kernel's timers allow.
    static func tightenTimerSlack() {
        _ = cdq_set_timer_slack(1)
    }

    /// Deadlines closer than this are waited for by yielding in a loop
    /// rather than sleeping: a timed sleep on a busy VM wakes some 15 to
    /// 30 µs late, which would double a 10 µs service time.
    static let spinNanoseconds: UInt64 = 20_000

    /// Blocks until `eventFD` is signalled or `deadline` passes (nil: no
    /// limit), then resets the eventfd. A deadline within `spinNanoseconds`
    /// is met by yielding the CPU until it passes (a doorbell rung meanwhile
    /// is seen at the next turn).
    static func wait(_ eventFD: EventFD, until deadline: UInt64?) {
        if let deadline, deadline <= MonotonicClock.nanoseconds() + spinNanoseconds {
            while MonotonicClock.nanoseconds() < deadline { sched_yield() }
            return
        }
        while true {
            var timeout: Int64 = -1
            if let deadline {
                let now = MonotonicClock.nanoseconds()
                timeout = deadline > now ? Int64(min(deadline - now, 1_000_000_000)) : 0
            }
            if cdq_poll_readable_ns(eventFD.fileDescriptor, timeout) >= 0 || cdq_errno() != EINTR { break }
        }
        _ = try? eventFD.drain()
    }
}
