#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM as events to poll rather than asynchronous handlers:
/// blocked in every thread (call before starting any), then collected with
/// `sigtimedwait`, so Ctrl-C lets the command clean up (stop logging,
/// drain to LAST, delete the queue) instead of killing it mid-way.
struct StopSignals {
    private var set = sigset_t()

    init() {
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// The signal that arrived since the last call, if any; never blocks.
    mutating func take() -> Int32? {
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        let signal = sigtimedwait(&set, nil, &zero)
        return signal > 0 ? signal : nil
    }
}
