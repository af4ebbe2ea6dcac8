import CCDQEngine
import CDQEngine

/// Counts by problem kind into a C `uint64_t[16]` indexed by CDQ_PROBLEM_*
/// (kinds beyond the array, none today, are left out rather than overrun it).
func storeProblemCounts<Counts>(_ byKind: [RecordProblem: UInt64], into counts: inout Counts) {
    withUnsafeMutableBytes(of: &counts) { bytes in
        for (problem, count) in byKind where Int(problem.rawValue) * 8 < bytes.count {
            bytes.storeBytes(of: count, toByteOffset: Int(problem.rawValue) * 8, as: UInt64.self)
        }
    }
}

/// The engine's statistics and latency summary as the versioned C struct.
func cEngineStatistics(_ statistics: EngineStatistics, _ latency: WakeupLatency) -> cdq_engine_statistics {
    var out = cdq_engine_statistics()
    out.size = UInt32(MemoryLayout<cdq_engine_statistics>.size)
    out.version = UInt32(CDQ_ENGINE_STATISTICS_VERSION)
    out.queues = UInt32(statistics.queues)
    out.turns = statistics.turns
    out.system_calls = statistics.systemCalls
    out.totals = cQueueStats(statistics.totals)
    out.problems = statistics.totals.problems
    storeProblemCounts(statistics.totals.problemsByKind, into: &out.problems_by_kind)
    out.queue_losses = statistics.totals.queueLosses
    out.latency_count = latency.count
    out.latency_p50_us = latency.p50
    out.latency_p99_us = latency.p99
    out.latency_p999_us = latency.p999
    out.latency_max_us = latency.maximum
    return out
}

@_cdecl("cdq_engine_statistics_get")
public func cdqEngineStatisticsGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_engine_statistics>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let engine = try Handles.engines.object(handle).engine
        let statistics = cEngineStatistics(engine.statistics, engine.wakeupLatency)
        try StructIO.write(statistics, to: UnsafeMutableRawPointer(out), name: "cdq_engine_statistics")
        return 0
    }
}
