import CDQTestSupport
import Foundation
import Testing

/// cdq-bench cannot rot: short runs of the built binary must produce the
/// JSON the chart script and docs/benchmarks.md read, and pass their own
/// exactly-once check. What it measures is not judged here (make bench).
@Suite struct CDQBenchTests {
    typealias Run = BuiltTool.Run

    /// cdq-bench is built beside the test bundle.
    static let tool = BuiltTool("cdq-bench")

    func bench(_ arguments: String...) throws -> Run { try Self.tool.run(arguments) }

    /// The JSON objects on standard output, one a line.
    func objects(_ run: Run) throws -> [[String: Any]] {
        try run.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    static let sideKeys = ["entries_per_sec", "syscalls_per_entry", "cpu_ns_per_entry", "p50_us", "p99_us", "lost", "duplicated"]

    /// Checks the keys every scenario reports and that both sides delivered
    /// every change exactly once.
    func checkCommon(_ object: [String: Any], scenario: String) throws {
        #expect(object["scenario"] as? String == scenario)
        #expect(object["queues"] is Int)
        #expect(object["seconds"] is Double)
        #expect(object["lost"] as? Int == 0)
        #expect(object["duplicated"] as? Int == 0)
        let ratio = try #require(object["ratio"] as? [String: Any])
        #expect(ratio["throughput"] is Double && ratio["syscalls"] is Double)
        for side in ["engine", "baseline"] {
            let values = try #require(object[side] as? [String: Any], "no \(side) object")
            for key in Self.sideKeys { #expect(values[key] != nil, "\(side).\(key) missing") }
            #expect((values["entries_per_sec"] as? Double ?? 0) > 0, "\(side) delivered nothing")
        }
    }

    @Test func throughputRunDeliversEveryChangeOnBothSides() throws {
        let run = try bench("throughput", "--queues", "4", "--seconds", "0.3", "--rounds", "1", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let results = try objects(run)
        #expect(results.count == 1)
        let object = try #require(results.first)
        try checkCommon(object, scenario: "throughput")
        #expect(object["queues"] as? Int == 4)
    }

    @Test func latencyRunMeasuresOneQueue() throws {
        let run = try bench("latency", "--seconds", "0.3", "--rounds", "1", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try objects(run).first)
        try checkCommon(object, scenario: "latency")
        let engine = try #require(object["engine"] as? [String: Any])
        #expect((engine["p99_us"] as? Double ?? 0) >= (engine["p50_us"] as? Double ?? 0))
        // The engine run to completion: the polling thread books every change.
        let inline = try #require(object["engine_run_to_completion"] as? [String: Any])
        #expect((inline["entries"] as? Int ?? 0) > 0 && inline["lost"] as? Int == 0 && inline["duplicated"] as? Int == 0)
        #expect((inline["p99_us"] as? Double ?? 0) >= (inline["p50_us"] as? Double ?? 0))
    }

    @Test func drainReportsTheMemoryCopyBesideIt() throws {
        let run = try bench("drain", "--seconds", "0.1", "--rounds", "1", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try objects(run).first)
        try checkCommon(object, scenario: "drain")
        #expect((object["ns_per_entry"] as? Double ?? 0) > 0)
        #expect((object["memcpy_ns_per_entry"] as? Double ?? 0) > 0)
    }

    @Test func tablesAreTheDefault() throws {
        let run = try bench("scale", "--queues", "2", "--seconds", "0.2", "--rounds", "1")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("scale: 2 queues"))
        #expect(run.stdout.contains("engine/baseline"))
        #expect(run.stdout.contains("lost / duplicated         0 / 0"))
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let queues = try bench("throughput", "--queues", "0")
        #expect(queues.status == 64)
        #expect(queues.stderr.contains("--queues must be 1...4096"))
        let scenario = try bench("warp-speed")
        #expect(scenario.status == 64)
        #expect(scenario.stdout.isEmpty)
        let entries = try bench("moderate", "--entries", "8")
        #expect(entries.status == 64 && entries.stderr.contains("--entries must be 16..."))
        let latency = try bench("moderate", "--admin-latency-us=-1")
        #expect(latency.status == 64 && latency.stderr.contains("--admin-latency-us must be"))
        let service = try bench("throughput", "--admin-service-us", "2000000")
        #expect(service.status == 64 && service.stderr.contains("--admin-service-us must be at most"))
        let start = try bench("headroom", "--admin-latency-us", "0")
        #expect(start.status == 64 && start.stderr.contains("headroom doubles the admin latency"))
    }

    static let adminKeys = ["admin_commands_per_entry", "aer_rearms_per_entry", "peak_admin_occupancy", "changes_per_sec"]

    @Test func moderateReportsAdminCostAndDeliveryOnBothSides() throws {
        let run = try bench("moderate", "--queues", "4", "--rate", "2000", "--entries", "128", "--seconds", "0.3", "--rounds", "1", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try objects(run).first)
        try checkCommon(object, scenario: "moderate")
        #expect(object["admin_latency_us"] as? Double == 100 && object["admin_service_us"] as? Double == 10)
        #expect(object["entries"] as? Int == 128)
        for side in ["engine", "engine_run_to_completion", "baseline"] {
            let values = try #require(object[side] as? [String: Any])
            for key in Self.adminKeys + ["delivery_p50_us", "delivery_p99_us", "delivery_p999_us"] {
                #expect(values[key] != nil, "\(side).\(key) missing")
            }
            #expect((values["admin_commands_per_entry"] as? Double ?? 0) > 0, "head updates go through the admin queue")
            #expect((values["delivery_p99_us"] as? Double ?? 0) >= (values["delivery_p50_us"] as? Double ?? 0))
        }
        let ratio = try #require(object["ratio_run_to_completion"] as? [String: Any])
        #expect(ratio["cpu"] is Double && ratio["syscalls"] is Double && ratio["delivery_p99"] is Double)
        // The wake-up floor: a thread waking once per scan interval (the
        // 1 ms budget less an eighth), at most that often, at some CPU cost.
        let floor = try #require(object["wakeup_floor"] as? [String: Any])
        #expect(floor["interval_us"] as? Double == 875)
        let wakeups = try #require(floor["wakeups_per_sec"] as? Double)
        #expect(wakeups > 0 && wakeups <= 1_000_000 / 875 + 1)
        #expect((floor["cpu_ns_per_wakeup"] as? Double ?? 0) > 0 && (floor["cpu_ns_per_entry"] as? Double ?? 0) > 0)
        #expect((object["ratio"] as? [String: Any])?["cpu_floor"] is Double)
    }

    /// The moderated engine's budget is the user's: a 5 ms budget still
    /// delivers everything, exactly once (the books close).
    @Test func aDeliveryBudgetIsTakenAndCheckedByModerate() throws {
        let run = try bench("moderate", "--queues", "4", "--rate", "2000", "--entries", "128", "--seconds", "0.3", "--rounds", "1",
                            "--delivery-budget-us", "5000", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try objects(run).first)
        #expect(object["lost"] as? Int == 0 && object["duplicated"] as? Int == 0)
        #expect((object["wakeup_floor"] as? [String: Any])?["interval_us"] as? Double == 4375, "the floor wakes at this budget's interval")
        let small = try bench("moderate", "--delivery-budget-us", "50")
        #expect(small.status == 64 && small.stderr.contains("--delivery-budget-us must be 100...1000000"))
        let drain = try bench("drain", "--delivery-budget-us", "1000")
        #expect(drain.status == 64)
    }

    @Test func headroomSearchesTheToleratedAdminLatency() throws {
        let run = try bench("headroom", "--queues", "4", "--entries", "16", "--rate", "200000", "--admin-latency-us", "2000",
                            "--seconds", "0.1", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try objects(run).first)
        #expect(object["scenario"] as? String == "headroom")
        #expect(object["lost"] as? Int == 0 && object["duplicated"] as? Int == 0)
        let ratio = try #require(object["ratio"] as? [String: Any])
        for side in ["engine", "baseline"] {
            let values = try #require(object[side] as? [String: Any])
            #expect(values["tolerated_admin_latency_us"] is Double, "\(side) reports what it tolerated")
            let probes = try #require(values["probes"] as? [[String: Any]])
            #expect(probes.first?["admin_latency_us"] as? Double == 2000, "the search starts at --admin-latency-us")
            #expect(probes.count >= 2, "a search probes more than once")
        }
        let baseline = try #require(object["baseline"] as? [String: Any])
        if (baseline["tolerated_admin_latency_us"] as? Double ?? 0) > 0 { #expect(ratio["headroom"] is Double) }
    }
}
