import CDQEngine
import CDQNVMe
import CDQSimulator

/// One seed's run: N queues on a model controller, the production
/// `QueueProtocol` for each, one thread, a virtual clock, and a PRNG
/// seeded by the seed that chooses every interleaving and every fault.
/// The same seed gives the same run, byte for byte.
///
/// A run has two phases: `activeSteps` steps with writers and the seed's
/// faults, then a quiet phase (no writes, no new faults) in which every
/// logged entry must reach its consumer within `livenessBound` of virtual
/// time. The invariants are checked after every step.
package final class Simulation {
    package let seed: UInt64
    package let faults: FaultSet
    package let plantedBug: PlantedBug?
    var random: WorkloadRandom
    let parameters: SimParameters
    var queues: [SimQueue]
    /// Virtual time, nanoseconds.
    var now: UInt64 = 0
    var nextTick: UInt64
    var trace: Trace
    var admin: [AdminCommand] = []
    var events: [PendingEvent] = []
    var ready: [Int] = []
    /// Moderated queues waiting for their deadline scan (the engine's list).
    var deadlines: DeadlineList
    /// Scratch space the drain copies into before records enter a consumer ring.
    let scratch: UnsafeMutableBufferPointer<CDQRecord>
    var step = 0
    var faultsStoppedAt: UInt64?
    var shutdownStep: Int?
    var violation: String?
    /// Counts, for the summary of a run.
    package internal(set) var delivered = 0
    package internal(set) var posted = 0

    /// A head update on the model admin queue.
    struct AdminCommand {
        var queue: Int
        var update: QueueProtocol.HeadUpdate
        var dueAt: UInt64
        /// nil: the command never completes.
        var fate: Fate?
        enum Fate { case apply, status(NVMeStatus), errno(Int32) }
    }

    /// A tail pointer event on its way to the engine.
    struct PendingEvent {
        var queue: Int
        var dueAt: UInt64
    }

    package init(seed: UInt64, plantedBug: PlantedBug? = nil, traceAll: Bool = false) {
        self.seed = seed
        self.plantedBug = plantedBug
        random = WorkloadRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0xC0DE_C0DE)
        var later = WorkloadRandom(seed: seed ^ 0x7A11_3E5E_ED5A_17E5)
        faults = FaultSet.random(&random, later: &later)
        let parameters = SimParameters(&random, later: &later, faults: faults)
        self.parameters = parameters
        queues = parameters.entryCounts.indices.map { index in
            SimQueue(index: index, entryCount: parameters.entryCounts[index], ringCapacity: parameters.consumerCapacities[index],
                     configuration: parameters.configuration, plantedBug: plantedBug)
        }
        nextTick = parameters.configuration.watchdogIntervalNanoseconds
        deadlines = DeadlineList(capacity: queues.count)
        trace = Trace(keepsAll: traceAll)
        scratch = .allocate(capacity: 64)
        if faults.contains(.shutdown) { shutdownStep = Int(random.next(below: UInt64(parameters.activeSteps))) }
        for queue in queues { schedule(queue.index) } // registration scans once
    }

    deinit { scratch.deallocate() }

    /// What a run found.
    package struct Outcome {
        package var seed: UInt64
        package var faults: FaultSet
        /// nil: every invariant held.
        package var violation: String?
        /// The last events before the end (all of them with `traceAll`).
        package var events: [String]
        package var header: String
    }

    package var header: String {
        let shape = queues.map { "\($0.entryCount)/\($0.ringCapacity)" }.joined(separator: " ")
        let c = parameters.configuration
        return "seed \(seed) faults \(faults) queues [entries/consumer \(shape)] drainBatch \(c.drainBatch) "
            + "trigger \(c.trigger)\(c.trigger == .moderated ? " budget \(c.deliveryBudgetNanoseconds / 1_000) µs" : "") retries \(c.headUpdateRetries) polling \(c.polling == nil ? "off" : "on") adminDepth \(parameters.adminDepth)"
            + (plantedBug.map { " planted-bug \($0.rawValue)" } ?? "")
    }

    /// Runs the seed to its end or to the first violation.
    package func run() -> Outcome {
        while violation == nil, !finished() {
            takeStep()
            if violation == nil { checkInvariants() }
        }
        return Outcome(seed: seed, faults: faults, violation: violation,
                       events: trace.keepsAll ? trace.lines : trace.last, header: header)
    }

    func record(_ event: TraceEvent) { trace.record(now, event) }

    func fail(_ message: String) {
        if violation == nil { violation = message }
    }
}
