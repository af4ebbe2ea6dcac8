/// One side's measurement: a run, or the sum of several runs.
struct SideResult {
    var runs = 0
    /// Change entries delivered.
    var entries: UInt64 = 0
    var nanoseconds: UInt64 = 0
    /// CPU time of the side's own threads (engine loop and consumer; the baseline's workers).
    var consumerCPU: UInt64 = 0
    /// CPU time of the simulated controller thread (it serves the head updates).
    var controllerCPU: UInt64 = 0
    var writerCPU: UInt64 = 0
    var counters = SideCounters()
    var lost: UInt64 = 0
    var duplicated: UInt64 = 0
    var overflows: UInt64 = 0
    /// Latency percentiles in microseconds: p50 averaged over runs, the tails the worst run's.
    var p50 = 0.0
    var p99 = 0.0
    var p999 = 0.0
    /// Write to consumer for every stamped entry, microseconds (as p50/p99/p99.9 above); nil when not stamped.
    var delivery: (p50: Double, p99: Double, p999: Double)?
    /// AER re-arms (one per delivered tail pointer event) on the run's controller.
    var aerRearms: UInt64 = 0
    /// Most admin slots in use at once, worst run.
    var peakAdminOccupancy = 0
    /// Changes the writer wrote, and over how long.
    var written: UInt64 = 0
    var writerNanoseconds: UInt64 = 0
    /// How late the controller thread's timed wake-ups were (timed admin cost only).
    var timerWakeups: UInt64 = 0
    var timerLatenessNanoseconds: UInt64 = 0
    var timerLatenessMaximum: UInt64 = 0
    /// Changes the controllers lost to a full queue (reported by ESA 7 entries).
    var lostToOverflow: UInt64 = 0

    mutating func add(_ run: SideResult) {
        if let runDelivery = run.delivery {
            let mean = delivery.map { ($0.p50 * Double(runs) + runDelivery.p50) / Double(runs + 1) } ?? runDelivery.p50
            delivery = (mean, max(delivery?.p99 ?? 0, runDelivery.p99), max(delivery?.p999 ?? 0, runDelivery.p999))
        }
        aerRearms += run.aerRearms
        lostToOverflow += run.lostToOverflow
        peakAdminOccupancy = max(peakAdminOccupancy, run.peakAdminOccupancy)
        written += run.written
        writerNanoseconds += run.writerNanoseconds
        timerWakeups += run.timerWakeups
        timerLatenessNanoseconds += run.timerLatenessNanoseconds
        timerLatenessMaximum = max(timerLatenessMaximum, run.timerLatenessMaximum)
        p50 = (p50 * Double(runs) + run.p50) / Double(runs + 1)
        runs += 1
        entries += run.entries
        nanoseconds += run.nanoseconds
        consumerCPU += run.consumerCPU
        controllerCPU += run.controllerCPU
        writerCPU += run.writerCPU
        counters.systemCalls += run.counters.systemCalls
        counters.wakeups += run.counters.wakeups
        counters.headUpdates += run.counters.headUpdates
        counters.adminCommands += run.counters.adminCommands
        lost += run.lost
        duplicated += run.duplicated
        overflows += run.overflows
        p99 = max(p99, run.p99)
        p999 = max(p999, run.p999)
    }

    private func per(_ value: UInt64, _ base: UInt64) -> Double { base == 0 ? 0 : Double(value) / Double(base) }

    var entriesPerSecond: Double { nanoseconds == 0 ? 0 : Double(entries) / (Double(nanoseconds) / 1e9) }
    var systemCallsPerEntry: Double { per(counters.systemCalls, entries) }
    var cpuPerEntry: Double { per(consumerCPU, entries) }
    var headUpdatesPerEntry: Double { per(counters.headUpdates, entries) }
    var wakeupsPerEntry: Double { per(counters.wakeups, entries) }
    var cpuPerWakeup: Double { per(consumerCPU, counters.wakeups) }
    var adminCommandsPerEntry: Double { per(counters.adminCommands, entries) }
    var aerRearmsPerEntry: Double { per(aerRearms, entries) }
    /// What the writer achieved, changes per second.
    var changesPerSecond: Double { writerNanoseconds == 0 ? 0 : Double(written) / (Double(writerNanoseconds) / 1e9) }

    var json: [String: Any] {
        var object: [String: Any] = [
            "entries_per_sec": rounded(entriesPerSecond, 1),
            "syscalls_per_entry": rounded(systemCallsPerEntry, 5),
            "cpu_ns_per_entry": rounded(cpuPerEntry, 2),
            "p50_us": rounded(p50, 2),
            "p99_us": rounded(p99, 2),
            "p999_us": rounded(p999, 2),
            "entries": entries,
            "system_calls": counters.systemCalls,
            "head_updates_per_entry": rounded(headUpdatesPerEntry, 5),
            "wakeups_per_entry": rounded(wakeupsPerEntry, 5),
            "cpu_ns_per_wakeup": rounded(cpuPerWakeup, 1),
            "controller_cpu_ns_per_entry": rounded(per(controllerCPU, entries), 2),
            "writer_cpu_ns_per_entry": rounded(per(writerCPU, entries), 2),
            "lost": lost,
            "duplicated": duplicated,
            "overflows": overflows,
            "admin_commands_per_entry": rounded(adminCommandsPerEntry, 5),
            "aer_rearms_per_entry": rounded(aerRearmsPerEntry, 5),
            "peak_admin_occupancy": peakAdminOccupancy,
            "changes_per_sec": rounded(changesPerSecond, 1),
            "lost_to_overflow": lostToOverflow,
        ]
        if let delivery {
            object["delivery_p50_us"] = rounded(delivery.p50, 2)
            object["delivery_p99_us"] = rounded(delivery.p99, 2)
            object["delivery_p999_us"] = rounded(delivery.p999, 2)
        }
        if timerWakeups > 0 {
            object["admin_timer_late_mean_us"] = rounded(Double(timerLatenessNanoseconds) / Double(timerWakeups) / 1000, 2)
            object["admin_timer_late_max_us"] = rounded(Double(timerLatenessMaximum) / 1000, 1)
        }
        return object
    }
}

/// `value` with `decimals` decimals, for readable JSON and tables.
func rounded(_ value: Double, _ decimals: Int) -> Double {
    guard value.isFinite else { return 0 }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    return (value * scale).rounded() / scale
}
