import Atomics
import CDQEngine
import CDQSimulator
import CDQUring

/// The engine run to completion: one thread makes the engine, attaches the
/// queues, and polls it, booking every record in the inline handler. There
/// is no loop thread and no hand-off to a consumer thread. In `latency` its
/// trigger is `.nextEntry`, the policy for latency-critical embedders; in
/// `moderate`, the default (moderated).
final class RunToCompletionSide: ConsumerSide {
    private let book: SequenceBook
    private let control: AdminChannel
    private let transport: SimulatorTransport
    private let stopping = ManagedAtomic<Bool>(false)
    private var polling: OSThread?
    private(set) var consumerThreads: [Int32] = []
    /// Set by the polling thread once its queues are attached.
    private let ready = Locked<Result<(Engine, [UInt16]), Error>?>(nil)
    private var engine: Engine?
    private var cdqids: [UInt16] = []

    init(rig: Rig, entries: UInt32, probe: LatencyProbe?, stamps: DeliveryStamps? = nil,
         configuration: EngineConfiguration) throws {
        let count = rig.subsystem.controllers.count
        control = rig.control
        transport = SimulatorTransport(channel: try rig.runner.openChannel(depth: max(64, count)))
        book = SequenceBook(queues: count, probe: probe, stamps: stamps)
        let (book, ready, stopping, subsystem) = (book, ready, stopping, rig.subsystem)
        // Handed to the polling thread, whose engine alone submits through
        // it; this side only reads its channel's counters.
        nonisolated(unsafe) let transport = transport
        let (thread, threads) = try ThreadClock.spawned {
            try OSThread(name: "bench polling") {
                Self.poll(subsystem, transport, entries, configuration, book, ready, stopping)
            }
        }
        polling = thread
        consumerThreads = threads
        let done = MonotonicClock.nanoseconds() + 30_000_000_000
        while ready.withLock({ $0 }) == nil && MonotonicClock.nanoseconds() < done {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
        switch ready.withLock({ $0 }) {
        case .success(let (engine, cdqids))?: (self.engine, self.cdqids) = (engine, cdqids)
        case .failure(let error)?: finishThread(); throw error
        case nil: finishThread(); throw SystemError("run-to-completion side: no set-up within 30 s", errno: 110)
        }
    }

    /// The polling thread: makes the engine (its ring is this thread's),
    /// attaches every queue, polls until told to stop, then detaches.
    private static func poll(_ subsystem: SimulatedSubsystem, _ transport: SimulatorTransport, _ entries: UInt32,
                             _ configuration: EngineConfiguration, _ book: SequenceBook, _ ready: Locked<Result<(Engine, [UInt16]), Error>?>,
                             _ stopping: ManagedAtomic<Bool>) {
        var queues: [AttachedQueue] = []
        var bookIndex = Array(repeating: 0, count: subsystem.controllers.count)
        let engine: Engine
        do {
            engine = try Engine(runToCompletion: configuration, onRecords: { run in
                for record in run { book.record(queue: bookIndex[Int(record.queue)], record.entry) }
                book.publish()
            })
            let consumer = try Consumer(capacity: 16_384)
            let backend = SimulatedQueueBackend(subsystem: subsystem, transport: transport)
            for controller in subsystem.controllers {
                let queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer,
                                              cntlid: controller.cntlid, entries: entries)
                bookIndex[Int(queue.handle.index)] = queues.count
                queues.append(queue)
            }
        } catch {
            ready.withLock { $0 = .failure(error) }
            return
        }
        ready.withLock { $0 = .success((engine, queues.map(\.cdqid))) }
        while !stopping.load(ordering: .acquiring) {
            do { try engine.poll(timeoutNanoseconds: 10_000_000) } catch { break }
        }
        queues.forEach { try? $0.detach() }
        engine.shutdown()
    }

    var counters: SideCounters {
        guard let engine else { return SideCounters(systemCalls: 0, wakeups: 0, headUpdates: 0) }
        let statistics = engine.statistics
        return SideCounters(
            systemCalls: statistics.systemCalls + transport.channel.doorbellRings,
            wakeups: statistics.totals.wakeups, headUpdates: statistics.totals.headUpdates,
            adminCommands: transport.channel.commandsCompleted)
    }

    var lastsSeen: Int { book.lasts.load(ordering: .relaxed) }

    /// Track Send stop on the rig's setup channel, as the other sides send it.
    func stopLogging() {
        for cdqid in cdqids { _ = control.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .stop))) }
    }

    private func finishThread() {
        stopping.store(true, ordering: .releasing)
        polling?.join()
        polling = nil
    }

    func finish(written: [UInt64]) -> SideBooks {
        finishThread()
        let settled = book.settle(written: written)
        var books = SideBooks(delivered: book.delivered, lost: settled.lost, duplicated: settled.duplicated,
                              overflows: book.overflows, delivery: book.delivery)
        if let probe = book.probe {
            (books.p50, books.p99, books.p999) = percentiles(probe.histogram)
        } else if let engine {
            let latency = engine.wakeupLatency
            (books.p50, books.p99, books.p999) = (latency.p50, latency.p99, latency.p999)
        }
        return books
    }
}
