/// The time rules of one queue, as one pure decision a watchdog tick acts
/// on: a head update that never answers loses the queue, and an idle queue
/// is probed so that a queue the controller dropped is found
/// (docs/engine.md, "Losing the controller").
enum QueueDeadline: Equatable {
    /// The head update in flight is past the admin timeout: lose the queue.
    case adminTimedOut
    /// No head update for the liveness interval: send one.
    case probe

    /// What is due for a queue at `now`, if anything.
    static func due(
        now: UInt64, sentAt: UInt64, updateInFlight: Bool, lost: Bool,
        adminTimeout: UInt64, livenessProbe: UInt64
    ) -> QueueDeadline? {
        guard !lost else { return nil }
        if updateInFlight { return now &- sentAt >= adminTimeout ? .adminTimedOut : nil }
        return now &- sentAt >= livenessProbe ? .probe : nil
    }
}
