import Atomics
import CDQSimulator
import CDQUring

/// The guests: one thread that writes round-robin over many simulated
/// controllers, so that load costs a fixed, small share of the CPU and the
/// measurement is about the consumer side.
///
/// Change k of a controller writes LBA k (one block, no data kept), which
/// is how `SequenceBook` checks order and exactly-once delivery.
///
/// A controller whose queue is nearly full is skipped for the round: a
/// queue that fills posts ESA 7 and drops changes, which would measure the
/// writer outrunning the consumer, not the consumer. The `headroom`
/// scenario turns that off (`skipsFullQueues: false`): there an overflow is
/// what it looks for.
final class LoadGenerator: @unchecked Sendable {
    // @unchecked: `written` is owned by the writer thread until stop() joins it.

    enum Pace: Sendable {
        /// As fast as the thread goes, `burst` changes per controller per visit.
        case fullSpeed(burst: Int)
        /// `perSecond` changes in total, spread round-robin.
        case rate(perSecond: Double)
        /// One change at a time: send, wait until the probe saw it, rest `gap` ns.
        case oneAtATime(LatencyProbe, gapNanoseconds: UInt64)
    }

    let controllers: [SimulatedController]
    let entryCount: UInt32
    let pace: Pace
    /// Each change's write time, for delivery latency; nil: not stamped.
    let stamps: DeliveryStamps?
    let skipsFullQueues: Bool
    private(set) var written: [UInt64]
    private let stopping = ManagedAtomic<Bool>(false)
    private var thread: OSThread?

    init(controllers: [SimulatedController], entryCount: UInt32, pace: Pace, stamps: DeliveryStamps? = nil,
         skipsFullQueues: Bool = true) {
        self.controllers = controllers
        self.entryCount = entryCount
        self.pace = pace
        self.stamps = stamps
        self.skipsFullQueues = skipsFullQueues
        written = Array(repeating: 0, count: controllers.count)
    }

    func start() throws {
        thread = try OSThread(name: "bench writer") { [self] in
            switch pace {
            case .fullSpeed(let burst): runFullSpeed(burst: burst)
            case .rate(let perSecond): runPaced(perSecond)
            case .oneAtATime(let probe, let gap): runOneAtATime(probe, gap: gap)
            }
        }
    }

    /// Stops and joins the thread; returns the changes written per controller.
    func stop() -> [UInt64] {
        stopping.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
        return written
    }

    private var running: Bool { !stopping.load(ordering: .relaxed) }

    /// True when `count` more changes fit without filling the queue (one
    /// slot stays free for the LAST entry that ends the run).
    private func hasRoom(_ index: Int, for count: Int) -> Bool {
        guard skipsFullQueues else { return true }
        guard let queue = controllers[index].queueSnapshot else { return false }
        return Int(queue.outstanding) + count + 2 < Int(entryCount)
    }

    private func write(_ index: Int) {
        let controller = controllers[index]
        stamps?.stamp(queue: index, number: written[index])
        let status = controller.write(nsid: UInt32(controller.cntlid), startingLBA: written[index], blockCount: 1, data: nil)
        precondition(status.isSuccess, "a simulated write failed: \(status)")
        written[index] += 1
    }

    private func runFullSpeed(burst: Int) {
        var index = 0
        while running {
            if hasRoom(index, for: burst) {
                for _ in 0..<burst { write(index) }
            }
            index = index + 1 == controllers.count ? 0 : index + 1
        }
    }

    private func runPaced(_ perSecond: Double) {
        var pacer = WorkloadPacer(operationsPerSecond: perSecond)
        let start = MonotonicClock.nanoseconds()
        var index = 0
        while running {
            let delay = pacer.delayBeforeNext(now: MonotonicClock.nanoseconds() - start)
            if delay > 0 {
                MonotonicClock.sleep(nanoseconds: min(delay, 1_000_000))
                continue
            }
            if hasRoom(index, for: 1) { write(index) }
            index = index + 1 == controllers.count ? 0 : index + 1
        }
    }

    private func runOneAtATime(_ probe: LatencyProbe, gap: UInt64) {
        while running {
            let target = written[0] + 1
            probe.sentAt.store(MonotonicClock.nanoseconds(), ordering: .releasing)
            write(0)
            while running && probe.seen.load(ordering: .acquiring) < target {
                MonotonicClock.sleep(nanoseconds: 10_000)
            }
            MonotonicClock.sleep(nanoseconds: gap)
        }
    }
}
