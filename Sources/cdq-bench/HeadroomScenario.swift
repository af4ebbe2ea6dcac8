import CDQSimulator
import Foundation

/// `headroom`: the highest admin latency at which a side keeps every queue
/// from overflowing for a whole probe, at a fixed write rate.
///
/// A synchronous consumer waits out one latency per head update, so its
/// tolerance is bound by latency; a pipelined one only by the admin depth
/// and service time. For each side: probe at the starting latency, double
/// until a probe overflows, then bisect `bisections` times between the
/// last clean latency and the first overflowing one; the result is the
/// highest clean latency probed, within (first overflowing - it) of the
/// true limit, at most 1/2^bisections of it. A probe ends at its first
/// overflow (any controller losing a change). When the starting latency
/// already overflows, a probe at latency 0 (service time alone) says
/// whether the side keeps up at this rate at all; if not, it tolerates
/// nothing and there is nothing to bisect.
struct HeadroomScenario {
    /// `plan.adminCost.latencyNanoseconds` is replaced by each probe's latency.
    let plan: RunPlan
    let rate: Double
    let startMicroseconds: Double
    let only: Side?
    static let bisections = 3
    /// The model's own ceiling: 1 s.
    static let maximumMicroseconds = Double(AdminCost.maximumNanoseconds) / 1000

    /// What one side's search found.
    private struct Search {
        var tolerated = 0.0
        /// The first latency that overflowed; nil if none did up to the ceiling.
        var overflowedAt: Double?
        /// The run at the tolerated latency (else the last probe).
        var run = SideResult()
        var probes: [[String: Any]] = []
        /// Over every probe: the exactly-once books of the whole search.
        var lost: UInt64 = 0
        var duplicated: UInt64 = 0
        /// False when even latency 0 overflowed: the side cannot take the rate.
        var keepsUp = true
    }

    func run() throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "headroom", queues: plan.queues, seconds: plan.seconds)
        var tolerated: [Side: Double] = [:]
        for side in [Side.engine, .baseline] where only == nil || only == side {
            var search = try self.search(side)
            search.run.lost = search.lost
            search.run.duplicated = search.duplicated
            tolerated[side] = search.tolerated
            if side == .engine { result.engine = search.run } else { result.baseline = search.run }
            result.sideExtra[side.rawValue] = [
                "tolerated_admin_latency_us": rounded(search.tolerated, 1),
                "keeps_up_without_admin_latency": search.keepsUp,
                "first_overflow_admin_latency_us": search.overflowedAt.map { rounded($0, 1) as Any } ?? NSNull(),
                "probes": search.probes,
            ]
            log("headroom: \(side.rawValue) tolerates \(rounded(search.tolerated, 1)) µs"
                + (search.overflowedAt.map { ", overflows at \(rounded($0, 1)) µs" } ?? ", never overflowed"))
        }
        if let engine = tolerated[.engine], let baseline = tolerated[.baseline] {
            // A baseline that tolerates no latency at all has no finite ratio: null.
            result.extraRatios["headroom"] = baseline > 0 ? engine / baseline : .nan
        }
        result.extra = [
            "rate": rate,
            "entries": Int(plan.entries),
            "admin_service_us": rounded(Double(plan.adminCost.serviceNanoseconds) / 1000, 2),
            "admin_depth": plan.adminCost.depth,
            "bisections": Self.bisections,
        ]
        result.extraRows = [
            ("tolerated admin latency us", tolerated[.engine].map { String(rounded($0, 1)) } ?? "-",
             tolerated[.baseline].map { String(rounded($0, 1)) } ?? "-"),
            ("writer changes/s", String(rounded(result.engine.changesPerSecond, 0)), String(rounded(result.baseline.changesPerSecond, 0))),
        ]
        return result
    }

    private func search(_ side: Side) throws -> Search {
        var search = Search()
        var clean: Double?
        var latency = startMicroseconds
        while latency <= Self.maximumMicroseconds {
            if try probe(side, latency, into: &search) {
                clean = latency
                latency *= 2
            } else {
                search.overflowedAt = latency
                break
            }
        }
        guard var high = search.overflowedAt else {
            search.tolerated = clean ?? 0
            return search
        }
        if clean == nil, try !probe(side, 0, into: &search) {
            search.keepsUp = false
            search.overflowedAt = 0
            return search
        }
        var low = clean ?? 0
        for _ in 0..<Self.bisections {
            let middle = (low + high) / 2
            if try probe(side, middle, into: &search) { low = middle } else { high = middle }
        }
        search.overflowedAt = high
        search.tolerated = low
        return search
    }

    /// One probe at `latency` µs; true when no queue overflowed.
    private func probe(_ side: Side, _ latency: Double, into search: inout Search) throws -> Bool {
        var probePlan = plan
        probePlan.adminCost = AdminCost(latencyMicroseconds: latency, serviceMicroseconds: Double(plan.adminCost.serviceNanoseconds) / 1000,
                                        depth: plan.adminCost.depth)
        log("headroom \(plan.queues) queues: \(side.rawValue), admin latency \(rounded(latency, 1)) µs")
        let run = try measure(side, probePlan)
        let clean = run.lostToOverflow == 0 && run.overflows == 0
        search.probes.append([
            "admin_latency_us": rounded(latency, 1),
            "overflowed": !clean,
            "seconds": rounded(Double(run.writerNanoseconds) / 1e9, 3),
            "changes_per_sec": rounded(run.changesPerSecond, 1),
            "lost": run.lost,
            "duplicated": run.duplicated,
        ])
        search.lost += run.lost
        search.duplicated += run.duplicated
        // Clean probes only ever rise, so the last clean one is the tolerated latency's.
        if clean || search.tolerated == 0 { search.run = run }
        if clean { search.tolerated = max(search.tolerated, latency) }
        return clean
    }
}
