// The moderated loop's per-tick path: at each scan interval the engine
// visits every active queue (`DeadlineList.tick`) and the core settles the
// ones with nothing new (`QueueProtocol.handleDeadlineTick`). It runs
// about 1,140 times a second per active queue at the default budget, so it
// must stay allocation free and cheap.

import Benchmark
import CDQEngine
import CDQNVMe

let moderationBenchmarks: @Sendable () -> Void = {
    /// One iteration is one tick over 256 active queues; one queue in four
    /// has an entry at each tick (its scan is simulated by the core's
    /// `handleScanned`), so the queues stay active.
    Benchmark("DeadlineTick256Queues", configuration: .init(scalingFactor: .one)) { benchmark in
        let queueCount = 256
        let budget = EngineConfiguration().deliveryBudgetNanoseconds
        let interval = QueueProtocol.scanInterval(budget: budget)
        var cores = (0..<queueCount).map { _ in
            QueueProtocol(entryCount: 128, head: 0, phase: true, configuration: EngineConfiguration(polling: nil))
        }
        var list = DeadlineList(capacity: queueCount)
        for index in cores.indices {
            // Active, its safety trigger armed: what a queue looks like after its first burst.
            _ = cores[index].handleScanned(drained: 1, consumerFull: false, now: 0)
            if case .send(let update) = cores[index].nextHeadUpdate() {
                cores[index].handleHeadUpdateSent(update, now: 0)
                _ = cores[index].handleHeadUpdateCompleted(.completed(.success))
            }
            list.list(.init(index: index, generation: 0), deadline: cores[index].scanDeadline ?? 0)
        }
        var now: UInt64 = 0
        var scans = 0
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            now &+= interval
            list.tick(now: now, next: QueueProtocol.deadline(after: now, budget: budget)) { entry in
                let hasEntry = (entry.index &+ iteration) & 3 == 0
                switch cores[entry.index].handleDeadlineTick(now: now, scanPending: false, hasNewEntry: { _, _ in hasEntry }) {
                case .scan:
                    scans &+= 1
                    _ = cores[entry.index].handleScanned(drained: 1, consumerFull: false, now: now)
                    return true
                case .idle: return false
                case .handled, .notDue: return true
                }
            }
        }
        benchmark.stopMeasurement()
        blackHole(scans)
        blackHole(list.count)
    }
}
