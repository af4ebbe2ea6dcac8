#if canImport(Glibc)
import Glibc
#endif

/// A plain operating-system thread, started explicitly and joined explicitly.
///
/// The engine's loop, the simulated controller and workload writers each
/// own one thread for their whole life; crossing into them happens only
/// through the rings and eventfds they poll, never through a shared executor.
public final class OSThread: @unchecked Sendable {
    // @unchecked: `handle` is written once by start() before any other
    // method may be called, and read by join() on the starting thread.
    private var handle: pthread_t?
    public let name: String

    /// Starts `body` on a new thread; `name` is for diagnostics.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed with \(result)")
        handle = thread
    }

    /// Waits for the thread to finish. Call once, from another thread.
    public func join() {
        guard let thread = handle else { return }
        handle = nil
        pthread_join(thread, nil)
    }

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
