import CDQMigration
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT/SIGTERM into `Migrator.cancel()`: the migration stops
/// between I/O batches and undoes what it did (controller resumed, logging
/// stopped, queue deleted) instead of the process dying with the queue
/// still pinned. The signals must already be blocked (`StopSignals`,
/// before any thread starts); a thread of its own collects them.
final class CancelOnSignal: @unchecked Sendable {
    // @unchecked: `migrator` and `finished` are behind locks; the thread
    // is started by init and joined by `finish()`.
    /// The migration to cancel, and whether a signal came before it existed.
    private let state = Locked<(migrator: Migrator?, requested: Bool)>((nil, false))
    private let finished = Locked(false)
    private var thread: OSThread?

    init(_ signals: StopSignals, verb: String) throws {
        let (state, finished) = (state, finished)
        thread = try OSThread(name: "cdqctl signals") {
            var signals = signals
            while !finished.withLock({ $0 }) {
                if let signal = signals.take() {
                    note("\(signal == SIGINT ? "SIGINT" : "SIGTERM"): cancelling; the queue is deleted first", verb: verb)
                    // Before the migrator exists (setting up), it is cancelled as soon as it does.
                    state.withLock { $0.requested = true; return $0.migrator }?.cancel()
                }
                usleep(50_000)
            }
        }
    }

    /// The migration to cancel from now on.
    func watch(_ migrator: Migrator) {
        if state.withLock({ $0.migrator = migrator; return $0.requested }) { migrator.cancel() }
    }

    /// Stops collecting signals (the migration ended).
    func finish() {
        finished.withLock { $0 = true }
        thread?.join()
        thread = nil
    }
}
