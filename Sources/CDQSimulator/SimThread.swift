import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread running one closure.
///
/// The library target does not use Foundation, so background work (the
/// workload generators) runs on a plain pthread. The closure is handed to
/// the thread as a retained box and released when it returns.
final class SimThread {
    private let thread: pthread_t

    /// Starts `body` on a new thread. `name` says what the thread is for
    /// in the error, the `pthread_create` errno (e.g. `EAGAIN` when the
    /// process may not create more threads).
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(SimThreadBody(body))
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            // Balances passRetained: the box dies when the body returns.
            Unmanaged<SimThreadBody>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()
            throw SystemError("pthread_create \(name)", errno: result)
        }
        self.thread = thread
    }

    /// Waits for the body to return. Call exactly once.
    func join() {
        pthread_join(thread, nil)
    }
}

private final class SimThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
