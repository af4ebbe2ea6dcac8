import CDQEngine
import CDQSimulator

/// The shape of one seed's run, all drawn from its PRNG: queue sizes,
/// consumer capacities, and the engine's configuration (virtual time).
struct SimParameters {
    var entryCounts: [UInt32]
    var consumerCapacities: [Int]
    var configuration: EngineConfiguration
    /// Steps with writers and faults; then faults stop.
    var activeSteps: Int
    /// Once faults stop, every logged entry is delivered (or its queue
    /// reported lost or unregistered) within this much virtual time.
    var livenessBound: UInt64
    /// Most admin commands in flight at once (the admin queue's depth).
    var adminDepth: Int

    static let microsecond: UInt64 = 1_000
    static let millisecond: UInt64 = 1_000_000

    /// `later` draws what was added after the first set of parameters
    /// (moderation), so every older seed keeps its run.
    init(_ random: inout WorkloadRandom, later: inout WorkloadRandom, faults: FaultSet) {
        let queues = 1 + Int(random.next(below: 4))
        entryCounts = (0..<queues).map { _ in [4, 8, 16, 64][Int(random.next(below: 4))] }
        consumerCapacities = (0..<queues).map { _ in 1 + Int(random.next(below: 32)) }
        let watchdog = faults.safetyNet ? Self.millisecond : 1_000 * Self.millisecond
        var configuration = EngineConfiguration(
            maximumQueues: queues, drainBatch: 1 + Int(random.next(below: 32)), watchdogIntervalNanoseconds: watchdog,
            trigger: faults.safetyNet && random.next(below: 2) == 0 ? .afterEntries(UInt32(2 + random.next(below: 3))) : .nextEntry,
            headUpdateRetries: Int(random.next(below: 4)),
            polling: random.next(below: 2) == 0 ? nil
                : PollingPolicy(enterEntriesPerScan: 1 + Int(random.next(below: 4)), enterConsecutiveScans: 2, leaveEmptyScans: 8))
        configuration.adminTimeoutNanoseconds = 10 * Self.millisecond
        configuration.livenessProbeNanoseconds = faults.safetyNet ? 5 * Self.millisecond : 1_000 * Self.millisecond
        if later.next(below: 2) == 0 {
            configuration.trigger = .moderated
            configuration.deliveryBudgetNanoseconds = 100 * Self.microsecond + later.next(below: 2 * Self.millisecond)
        }
        self.configuration = configuration
        activeSteps = 500 + Int(random.next(below: 1500))
        livenessBound = faults.safetyNet ? 100 * Self.millisecond : 20 * Self.millisecond
        adminDepth = 1 + Int(random.next(below: 8))
    }
}
