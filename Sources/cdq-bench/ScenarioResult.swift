import Foundation

/// One scenario's outcome: engine and baseline side by side, as a table
/// for people and one JSON object for scripts.
struct ScenarioResult {
    var scenario: String
    var queues: Int
    var seconds: Double
    var engine = SideResult()
    var baseline = SideResult()
    /// The engine run to completion (the latency scenario); reported when it ran.
    var runToCompletion = SideResult()
    /// Extra top-level JSON keys (the drain scenario's memory-copy figures).
    var extra: [String: Any] = [:]
    /// Extra table rows: label, engine, baseline.
    var extraRows: [(String, String, String)] = []
    /// Extra keys of each side's object, by side ("engine", "baseline").
    var sideExtra: [String: [String: Any]] = [:]
    /// Extra engine/baseline ratios (`headroom`).
    var extraRatios: [String: Double] = [:]

    var lost: UInt64 { engine.lost + baseline.lost + runToCompletion.lost }
    var duplicated: UInt64 { engine.duplicated + baseline.duplicated + runToCompletion.duplicated }
    var clean: Bool { lost == 0 && duplicated == 0 }

    /// The run's queue size and admin cost, as top-level keys.
    func described(_ plan: RunPlan) -> ScenarioResult {
        var result = self
        result.extra["entries"] = Int(plan.entries)
        result.extra["admin_latency_us"] = rounded(Double(plan.adminCost.latencyNanoseconds) / 1000, 2)
        result.extra["admin_service_us"] = rounded(Double(plan.adminCost.serviceNanoseconds) / 1000, 2)
        result.extra["admin_depth"] = plan.adminCost.depth
        return result
    }

    private func ratio(_ engine: Double, _ baseline: Double) -> Double { baseline == 0 ? 0 : engine / baseline }

    var json: [String: Any] {
        var ratios: [String: Any] = [
            "throughput": rounded(ratio(engine.entriesPerSecond, baseline.entriesPerSecond), 3),
            "syscalls": rounded(ratio(engine.systemCallsPerEntry, baseline.systemCallsPerEntry), 4),
            "cpu": rounded(ratio(engine.cpuPerEntry, baseline.cpuPerEntry), 3),
            "p99": rounded(ratio(engine.p99, baseline.p99), 3),
            "cpu_per_wakeup": rounded(ratio(engine.cpuPerWakeup, baseline.cpuPerWakeup), 3),
            "admin_commands": rounded(ratio(engine.adminCommandsPerEntry, baseline.adminCommandsPerEntry), 4),
        ]
        if let engineDelivery = engine.delivery, let baselineDelivery = baseline.delivery {
            ratios["delivery_p99"] = rounded(ratio(engineDelivery.p99, baselineDelivery.p99), 3)
        }
        for (key, value) in extraRatios { ratios[key] = value.isFinite ? rounded(value, 3) : NSNull() }
        var object: [String: Any] = [
            "scenario": scenario,
            "queues": queues,
            "seconds": seconds,
            "rounds": engine.runs,
            "engine": engine.json.merging(sideExtra["engine"] ?? [:]) { _, new in new },
            "baseline": baseline.json.merging(sideExtra["baseline"] ?? [:]) { _, new in new },
            "ratio": ratios,
            "lost": lost,
            "duplicated": duplicated,
        ]
        if runToCompletion.runs > 0 {
            object["engine_run_to_completion"] = runToCompletion.json
            let side = runToCompletion
            var sideRatios: [String: Any] = [
                "p99": rounded(ratio(side.p99, baseline.p99), 3), "cpu": rounded(ratio(side.cpuPerEntry, baseline.cpuPerEntry), 3),
                "syscalls": rounded(ratio(side.systemCallsPerEntry, baseline.systemCallsPerEntry), 4),
            ]
            if let sideDelivery = side.delivery, let baselineDelivery = baseline.delivery {
                sideRatios["delivery_p99"] = rounded(ratio(sideDelivery.p99, baselineDelivery.p99), 3)
            }
            object["ratio_run_to_completion"] = sideRatios
        }
        object.merge(extra) { _, new in new }
        return object
    }

    var jsonLine: String {
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    var table: String {
        func row(_ label: String, _ engine: Double, _ baseline: Double, _ decimals: Int) -> String {
            let ratio = baseline == 0 ? "-" : String(rounded(engine / baseline, 3))
            return pad(label, 26) + pad(String(rounded(engine, decimals)), 16) + pad(String(rounded(baseline, decimals)), 16) + ratio
        }
        var lines = [
            "\(scenario): \(queues) queue\(queues == 1 ? "" : "s"), \(engine.runs) x \(seconds) s per side, alternating",
            pad("", 26) + pad("engine", 16) + pad("baseline", 16) + "engine/baseline",
            row("entries/s", engine.entriesPerSecond, baseline.entriesPerSecond, 0),
            row("system calls/entry", engine.systemCallsPerEntry, baseline.systemCallsPerEntry, 4),
            row("CPU ns/entry", engine.cpuPerEntry, baseline.cpuPerEntry, 1),
            row("head updates/entry", engine.headUpdatesPerEntry, baseline.headUpdatesPerEntry, 4),
            row("wake-ups/entry", engine.wakeupsPerEntry, baseline.wakeupsPerEntry, 4),
            row("admin commands/entry", engine.adminCommandsPerEntry, baseline.adminCommandsPerEntry, 4),
            row("AER re-arms/entry", engine.aerRearmsPerEntry, baseline.aerRearmsPerEntry, 4),
            row("CPU ns/wake-up", engine.cpuPerWakeup, baseline.cpuPerWakeup, 0),
            row("p50 us", engine.p50, baseline.p50, 1),
            row("p99 us", engine.p99, baseline.p99, 1),
            row("p99.9 us", engine.p999, baseline.p999, 1),
        ]
        if let engineDelivery = engine.delivery, let baselineDelivery = baseline.delivery {
            lines.append(row("delivery p50 us", engineDelivery.p50, baselineDelivery.p50, 1))
            lines.append(row("delivery p99 us", engineDelivery.p99, baselineDelivery.p99, 1))
            lines.append(row("delivery p99.9 us", engineDelivery.p999, baselineDelivery.p999, 1))
        }
        if runToCompletion.runs > 0 {
            let side = runToCompletion
            lines.append("engine run to completion: p50 \(rounded(side.p50, 1)) us, p99 \(rounded(side.p99, 1)) us, "
                         + "p99.9 \(rounded(side.p999, 1)) us, CPU \(rounded(side.cpuPerEntry, 1)) ns/entry, "
                         + "\(rounded(side.systemCallsPerEntry, 4)) system calls/entry, "
                         + "\(rounded(side.adminCommandsPerEntry, 4)) admin commands/entry, "
                         + (side.delivery.map { "delivery p99 \(rounded($0.p99, 1)) us, " } ?? "")
                         + "lost \(side.lost) / duplicated \(side.duplicated)")
        }
        for (label, engine, baseline) in extraRows {
            lines.append(pad(label, 26) + pad(engine, 16) + baseline)
        }
        lines.append(pad("lost / duplicated", 26) + pad("\(engine.lost) / \(engine.duplicated)", 16)
                     + "\(baseline.lost) / \(baseline.duplicated)")
        return lines.joined(separator: "\n")
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
