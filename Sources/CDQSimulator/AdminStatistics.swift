import Atomics
import CDQUring

/// What the managing controller's admin queue did, for benchmarks and
/// tests (`ControllerRunner.adminStatistics`).
public struct AdminStatistics: Sendable, Equatable {
    /// Client commands completed (every channel; lost ones are not counted).
    public var commandsServed: UInt64 = 0
    /// Asynchronous Event Requests re-armed: one per delivered tail pointer event.
    public var aerRearms: UInt64 = 0
    /// Most admin slots in use at once (1 under `.free`: a command holds its
    /// slot for no time).
    public var peakOccupancy = 0
    /// Timed sleeps of the controller thread that reached their deadline, and
    /// how late they woke in all and at worst: the timer's accuracy.
    public var timedWakeups: UInt64 = 0
    public var totalLatenessNanoseconds: UInt64 = 0
    public var maximumLatenessNanoseconds: UInt64 = 0

    public init() {}

    /// Mean lateness of a timed wake-up, nanoseconds.
    public var meanLatenessNanoseconds: Double {
        timedWakeups == 0 ? 0 : Double(totalLatenessNanoseconds) / Double(timedWakeups)
    }
}

/// The admin queue's counters, atomics so any thread may read them while
/// the controller thread serves; also where trigger deliveries turn into
/// AER re-arms (`FaultKnobs` reports each delivery here).
final class AdminCounters: @unchecked Sendable {
    // @unchecked: every field is an atomic or immutable.
    let commandsServed = ManagedAtomic<UInt64>(0)
    let aerRearms = ManagedAtomic<UInt64>(0)
    let peakOccupancy = ManagedAtomic<Int>(0)
    let timedWakeups = ManagedAtomic<UInt64>(0)
    let totalLateness = ManagedAtomic<UInt64>(0)
    let maximumLateness = ManagedAtomic<UInt64>(0)
    /// Re-arms delivered and not yet taken into the admin queue (timed model only).
    private let pendingRearms = ManagedAtomic<Int>(0)
    private let timed: Bool
    /// Rung after a delivery under the timed model, so the controller thread takes the re-arm.
    private let doorbell: EventFD

    init(cost: AdminCost, doorbell: EventFD) {
        timed = !cost.isFree
        self.doorbell = doorbell
    }

    /// `count` tail pointer events were delivered: each needs its AER
    /// re-armed. Free: served at once. Timed: queued for an admin slot.
    func eventsDelivered(_ count: Int) {
        guard count > 0 else { return }
        if timed {
            pendingRearms.wrappingIncrement(by: count, ordering: .releasing)
            try? doorbell.signal()
        } else {
            aerRearms.wrappingIncrement(by: UInt64(count), ordering: .relaxed)
            raisePeak(to: 1)
        }
    }

    /// Re-arms waiting to be queued; resets the count.
    func takePendingRearms() -> Int {
        pendingRearms.exchange(0, ordering: .acquiring)
    }

    func raisePeak(to occupancy: Int) { raise(peakOccupancy, to: occupancy) }

    func recordWakeup(lateness: UInt64) {
        timedWakeups.wrappingIncrement(ordering: .relaxed)
        totalLateness.wrappingIncrement(by: lateness, ordering: .relaxed)
        raise(maximumLateness, to: lateness)
    }

    /// Stores `value` if it is larger than what `atomic` holds, racing writers included.
    private func raise<Value: AtomicValue & Comparable>(_ atomic: ManagedAtomic<Value>, to value: Value)
    where Value.AtomicRepresentation.Value == Value {
        var current = atomic.load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = atomic.compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    var snapshot: AdminStatistics {
        var statistics = AdminStatistics()
        statistics.commandsServed = commandsServed.load(ordering: .relaxed)
        statistics.aerRearms = aerRearms.load(ordering: .relaxed)
        statistics.peakOccupancy = peakOccupancy.load(ordering: .relaxed)
        statistics.timedWakeups = timedWakeups.load(ordering: .relaxed)
        statistics.totalLatenessNanoseconds = totalLateness.load(ordering: .relaxed)
        statistics.maximumLatenessNanoseconds = maximumLateness.load(ordering: .relaxed)
        return statistics
    }
}
