import CDQSimulator

/// One kind of fault the simulation can inject. Each seed enables a random
/// subset (swarm testing): a run with few kinds reaches states that a run
/// with every kind at once would rarely reach.
package enum FaultKind: String, CaseIterable, Sendable {
    /// A tail pointer event never reaches the engine.
    case eventDropped = "event-dropped"
    /// Only the first event of a queue is delivered (the TP4159 emulation, cdq-protocol.md §6).
    case eventMasked = "event-masked"
    /// Events arrive late, out of order with other queues'.
    case eventDelayed = "event-delayed"
    /// Events arrive twice.
    case eventDuplicated = "event-duplicated"
    /// Admin commands take up to 5 ms.
    case adminSlow = "admin-slow"
    /// Completions are reordered across queues.
    case adminReordered = "admin-reordered"
    /// Head updates fail with the statuses and errnos the protocol names.
    case adminErrors = "admin-errors"
    /// Some head updates never complete.
    case adminLost = "admin-lost"
    /// A consumer stops popping for a while.
    case consumerStall = "consumer-stall"
    /// Writers post past the queue's capacity (ESA 7, overflow).
    case burst = "burst"
    /// Entries that break the entry rules (reserved ESA).
    case hostileEntries = "hostile-entries"
    /// The tail skips a slot without writing it (a hostile controller).
    case tailJump = "tail-jump"
    /// Migration Send suspend with DUDMQ: LAST (suspended), then the queue is deleted.
    case suspend = "suspend"
    /// A queue is unregistered mid-flight.
    case unregister = "unregister"
    /// The engine shuts down at a random step.
    case shutdown = "shutdown"

    /// Kinds that take events or head updates away, which only the
    /// watchdog repairs.
    var needsWatchdog: Bool {
        switch self {
        // A skipped slot can be the armed trigger's, whose event is then lost.
        case .eventDropped, .eventMasked, .adminErrors, .adminLost, .tailJump: true
        default: false
        }
    }
}

/// The faults of one seed, and whether the watchdog runs at its usual
/// pace (the safety net) or so slowly that delivery must not depend on it.
package struct FaultSet: Sendable, CustomStringConvertible {
    package var kinds: [FaultKind]
    /// False: the run has no fault that loses an event or a head update,
    /// the trigger is armed on the next entry, and the watchdog and the
    /// liveness probe are slower than the liveness bound, so every entry
    /// must arrive through events and the rescan after arming alone.
    package var safetyNet: Bool

    package func contains(_ kind: FaultKind) -> Bool { kinds.contains(kind) }

    /// A random subset: one seed in four runs without the safety net.
    /// Kinds added after the first set (`addedLater`) draw from `later`, a
    /// stream of their own, so that every older seed keeps its run.
    static func random(_ random: inout WorkloadRandom, later: inout WorkloadRandom) -> FaultSet {
        let first = FaultKind.allCases.filter { !addedLater.contains($0) }
        let safetyNet = random.next(below: 4) != 0
        var kinds = first.filter { (safetyNet || !$0.needsWatchdog) && random.next(below: 2) == 0 }
        kinds += addedLater.filter { (safetyNet || !$0.needsWatchdog) && later.next(below: 2) == 0 }
        return FaultSet(kinds: kinds, safetyNet: safetyNet)
    }

    /// Kinds drawn from the second stream, in the order they were added.
    static let addedLater: [FaultKind] = [.tailJump]

    package var description: String {
        (kinds.isEmpty ? "none" : kinds.map(\.rawValue).joined(separator: ",")) + (safetyNet ? "" : " (no watchdog)")
    }
}
