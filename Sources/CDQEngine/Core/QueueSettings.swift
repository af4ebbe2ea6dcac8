/// The part of `EngineConfiguration` the core's rules read, as plain
/// values. `EngineConfiguration` also holds a logger and a metrics
/// factory (references): kept in every queue's core, each copy of the core
/// retained and released them, which the loop paid on every scan.
struct QueueSettings: Sendable, BitwiseCopyable {
    let drainBatch: Int
    let trigger: TriggerPolicy
    let headUpdateRetries: Int
    let polling: PollingPolicy?
    let watchdogIntervalNanoseconds: UInt64
    let adminTimeoutNanoseconds: UInt64
    let livenessProbeNanoseconds: UInt64
    let deliveryBudgetNanoseconds: UInt64

    init(_ configuration: EngineConfiguration) {
        drainBatch = configuration.drainBatch
        trigger = configuration.trigger
        headUpdateRetries = configuration.headUpdateRetries
        polling = configuration.polling
        watchdogIntervalNanoseconds = configuration.watchdogIntervalNanoseconds
        adminTimeoutNanoseconds = configuration.adminTimeoutNanoseconds
        livenessProbeNanoseconds = configuration.livenessProbeNanoseconds
        deliveryBudgetNanoseconds = configuration.deliveryBudgetNanoseconds
    }
}
