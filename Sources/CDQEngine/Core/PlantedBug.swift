/// A protocol rule broken on purpose, so that the deterministic simulator
/// (`CDQSim`) can show it finds it. Only `CDQSim` passes one to
/// `QueueProtocol`; `EngineConfiguration` has no way to name one, so the
/// engine never runs a broken rule.
package enum PlantedBug: String, Sendable, CaseIterable {
    /// A completed head update does not schedule the rescan that catches
    /// entries posted before the trigger was armed (the lost wake-up).
    case noRescanAfterArming = "no-rescan-after-arming"
    /// The head sent runs one slot past what was delivered.
    case headBeforeDelivery = "head-before-delivery"
    /// An ESA 7 entry is not delivered as an overflow record.
    case overflowRecordDropped = "overflow-record-dropped"
    /// A newer head goes out while one is still in flight.
    case secondHeadUpdateInFlight = "second-head-update-in-flight"
    /// A moderated queue's deadline scan is due four intervals late, so
    /// its entries miss the delivery budget.
    case lateDeadline = "late-deadline"
    /// An active moderated queue never hands consumed entries back on its
    /// own: the controller's free space shrinks until the queue overflows.
    case headHeldBack = "head-held-back"
}
