import CDQEngine
import CDQNVMe
import CDQUring

/// A controller side that can tell the migrator what it needs so as not to
/// wait for a LAST entry that cannot come: how far the engine has read its
/// queue (whether the controller reports itself suspended is
/// `MigrationController.isSuspended()`).
///
/// The LAST (suspended) entry is lost when the queue is full at the
/// suspend (nothing is posted) or when LAST is the entry that fills it
/// (it becomes ESA 7; cdq-protocol.md §3). Either way the newest entry is
/// an ESA 7 and none follows it: after ESA 7 the controller posts nothing
/// until the head moves, and once suspended nothing at all.
public protocol SuspendedQueueObserver: MigrationController {
    /// Scans of the queue the engine has started so far: two more than at
    /// some moment mean one scan started after it and finished, so every
    /// entry posted before that moment was delivered.
    var queueScans: UInt64 { get }
}

extension AttachedMigrationSource: SuspendedQueueObserver {
    public var queueScans: UInt64 { engine.statistics(of: queue.handle)?.scans ?? 0 }
}

extension Migrator {
    /// Before the suspend: read everything posted and let the engine scan
    /// twice (each scan ends with a head update for what it read), so the
    /// queue has room for the LAST entry unless the guest fills it again
    /// at once. Bounded by `roomForLastNanoseconds`: it is a courtesy, not
    /// a condition.
    func makeRoomForLast() {
        defer { drain() }
        guard let observer = controller as? SuspendedQueueObserver else { return }
        let target = observer.queueScans + 2
        let deadline = MonotonicClock.nanoseconds() + Self.roomForLastNanoseconds
        while observer.queueScans < target && MonotonicClock.nanoseconds() < deadline {
            drain()
            controller.consumer.wait(timeoutNanoseconds: 2_000_000)
        }
    }

    /// Longest `makeRoomForLast` waits: a few watchdog periods.
    static let roomForLastNanoseconds: UInt64 = 100_000_000

    /// With the controller suspended since `scansAtSuspend` scans: true
    /// once the LAST entry cannot arrive any more (the newest record is an
    /// ESA 7, two scans found nothing after it) and the controller state
    /// confirms the suspend, so the final copy can start without waiting
    /// out the timeout.
    func lastEntryCannotArrive(scansAtSuspend: UInt64?) -> Bool {
        guard overflowUnsettled, let scansAtSuspend, let observer = controller as? SuspendedQueueObserver,
              observer.queueScans >= scansAtSuspend + 2 else { return false }
        drain()
        // A state that cannot be read confirms nothing: wait on for LAST.
        return overflowUnsettled && !sawLast && ((try? observer.isSuspended()) ?? false)
    }
}
