import CDQEngine
import CDQUring

/// What waking alone costs on this machine: a thread that sleeps on an
/// io_uring timeout (the engine's own wait) every `interval` and does
/// nothing else.
///
/// A consumer that delivers every entry within the delivery budget must
/// wake at least once per scan interval while entries keep coming, so this
/// thread's CPU per second, divided by the scenario's rate, is the least
/// CPU per entry any such consumer can cost here, however little it does
/// per wake-up. `moderate` reports it next to the sides' costs: on a
/// machine where a timed sleep is expensive (a virtual machine programs its
/// timer through the hypervisor), it says how much of a target is out of
/// reach of any design.
struct WakeupFloor {
    let intervalNanoseconds: UInt64
    let wakeups: UInt64
    let cpuNanoseconds: UInt64
    let nanoseconds: UInt64

    var wakeupsPerSecond: Double { Double(wakeups) * 1e9 / Double(max(1, nanoseconds)) }
    var cpuPerWakeup: Double { Double(cpuNanoseconds) / Double(max(1, wakeups)) }
    var cpuPerSecond: Double { Double(cpuNanoseconds) * 1e9 / Double(max(1, nanoseconds)) }

    /// CPU nanoseconds per entry at `rate` entries per second.
    func cpuPerEntry(rate: Double) -> Double { cpuPerSecond / max(1, rate) }

    /// Sleeps `interval` at a time on a fresh ring, on the calling thread,
    /// for `seconds`, and counts that thread's CPU time meanwhile.
    static func measure(intervalNanoseconds interval: UInt64, seconds: Double) throws(SystemError) -> WakeupFloor {
        let ring = try IOURing()
        let start = MonotonicClock.nanoseconds(), cpuStart = ThreadClock.callingThread()
        let end = start + UInt64(seconds * 1e9)
        var wakeups: UInt64 = 0
        while MonotonicClock.nanoseconds() < end {
            _ = try ring.submitAndWait(timeoutNanoseconds: Int64(interval))
            wakeups += 1
        }
        return WakeupFloor(intervalNanoseconds: interval, wakeups: wakeups, cpuNanoseconds: ThreadClock.callingThread() - cpuStart,
                           nanoseconds: MonotonicClock.nanoseconds() - start)
    }
}

extension ScenarioResult {
    /// The floor next to the sides: its own JSON object, a table row, and
    /// `ratio.cpu_floor`, the least engine/baseline CPU ratio reachable here.
    mutating func add(_ floor: WakeupFloor, rate: Double) {
        let perEntry = floor.cpuPerEntry(rate: rate)
        extra["wakeup_floor"] = [
            "interval_us": rounded(Double(floor.intervalNanoseconds) / 1000, 1),
            "wakeups_per_sec": rounded(floor.wakeupsPerSecond, 0),
            "cpu_ns_per_wakeup": rounded(floor.cpuPerWakeup, 0),
            "cpu_ns_per_entry": rounded(perEntry, 1),
        ]
        if baseline.cpuPerEntry > 0 { extraRatios["cpu_floor"] = perEntry / baseline.cpuPerEntry }
        extraRows.append(("wake-up floor CPU ns/entry", String(rounded(perEntry, 1)),
                          "(a thread that only wakes every \(rounded(Double(floor.intervalNanoseconds) / 1000, 1)) us: "
                          + "\(rounded(floor.cpuPerWakeup, 0)) ns per wake-up)"))
    }
}
