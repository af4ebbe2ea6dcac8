import CDQEngine
import CDQSimulator

/// The books: every change a writer made must have reached the consumer
/// exactly once. Counted per queue; a queue with fewer deliveries than
/// writes lost entries, one with more duplicated them.
struct DemoSummary {
    let produced: UInt64
    let delivered: UInt64
    let lost: UInt64
    let duplicated: UInt64
    let overflows: Int
    let lastsSeen: Int
    let queues: Int
    let seconds: Double
    let statistics: EngineStatistics
    let latency: WakeupLatency

    init(produced: [UInt64], tally: Tally, queues: [AttachedQueue], elapsedNanoseconds: UInt64,
         statistics: EngineStatistics, latency: WakeupLatency) {
        var lost: UInt64 = 0, duplicated: UInt64 = 0, delivered: UInt64 = 0
        for (index, queue) in queues.enumerated() {
            let got = UInt64(tally.perQueue[Int(queue.handle.index)])
            delivered += got
            if got < produced[index] { lost += produced[index] - got }
            if got > produced[index] { duplicated += got - produced[index] }
        }
        self.produced = produced.reduce(0, +)
        self.delivered = delivered
        self.lost = lost
        self.duplicated = duplicated
        overflows = tally.overflows.load(ordering: .relaxed)
        lastsSeen = tally.lasts.load(ordering: .relaxed)
        self.queues = queues.count
        seconds = Double(elapsedNanoseconds) / 1e9
        self.statistics = statistics
        self.latency = latency
    }

    var clean: Bool { lost == 0 && duplicated == 0 && overflows == 0 && lastsSeen == queues }

    var text: String {
        let totals = statistics.totals
        return """
        cdq-demo: \(queues) simulated migratable controllers, one engine loop, one consumer
          entries produced:   \(produced)
          entries delivered:  \(delivered)
          lost:               \(lost)
          duplicated:         \(duplicated)
          overflow events:    \(overflows)
          LAST entries seen:  \(lastsSeen) of \(queues)
          throughput:         \(format(Double(delivered) / seconds / 1e6, 3)) M entries/s over \(format(seconds, 2)) s
          engine:             \(totals.wakeups) wake-ups, \(totals.scans) scans (\(totals.polls) polling), \
        \(totals.headUpdates) head updates (\(totals.headUpdatesCoalesced) coalesced), \(statistics.turns) loop turns,
                              \(totals.ringFullStalls) consumer-ring-full stalls, \(totals.overflows) controller queue overflows
          wake-up to ring:    p50 \(format(latency.p50, 1)) us, p99 \(format(latency.p99, 1)) us, \
        p99.9 \(format(latency.p999, 1)) us over \(latency.count) wake-ups
          result:             \(clean ? "exactly once" : "MISMATCH")
        """
    }
}
