import Atomics
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// 1024 queues on one loop, tiny queues and consumer rings (many wraps,
/// constant backpressure), two writer threads at different rates and two
/// consumers at different speeds. Exactly once, in order, per queue; and the
/// controller's head ends where the engine stopped reading.
@Suite struct EngineStressTests {
    static let queues = 1024
    static let writesPerQueue = 120
    static let entries: UInt32 = 16

    @Test func exactlyOnceInOrderUnderBackpressure() throws {
        let fixture = try EngineFixture(controllers: Self.queues, configuration: EngineConfiguration(watchdogIntervalNanoseconds: 5_000_000))
        let consumers = try [Consumer(capacity: 64), Consumer(capacity: 32)]
        var attached: [AttachedQueue] = []
        for cntlid in 1...Self.queues {
            attached.append(try fixture.attach(cntlid: UInt16(cntlid), entries: Self.entries, consumer: consumers[cntlid % 2]))
        }
        let byIndex = Dictionary(uniqueKeysWithValues: attached.map { (Int($0.handle.index), Int($0.cntlid)) })
        let delivered = (0...Self.queues).map { _ in ManagedAtomic<Int>(0) }
        let problems = ManagedAtomic<Int>(0)
        let done = ManagedAtomic<Bool>(false)

        // Consumers: check per-queue order, count deliveries (FIRST excluded).
        let consumerThreads = try consumers.enumerated().map { number, consumer in
            try OSThread(name: "consumer \(number)") {
                let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 16)
                defer { buffer.deallocate() }
                while !done.load(ordering: .acquiring) {
                    consumer.wait(timeoutNanoseconds: 10_000_000)
                    let got = consumer.pop(into: buffer)
                    for record in buffer.prefix(got) {
                        let cntlid = byIndex[Int(record.queue)]!
                        let entry = record.entry
                        if record.kind == .overflow { problems.wrappingIncrement(ordering: .relaxed); continue }
                        guard entry.entryStatus == .middle else { continue }
                        let expected = delivered[cntlid].load(ordering: .relaxed)
                        if entry.startingLBA != UInt64(expected) || entry.nsid != UInt32(cntlid) {
                            problems.wrappingIncrement(ordering: .relaxed)
                        }
                        delivered[cntlid].store(expected + 1, ordering: .releasing)
                    }
                    if number == 1 { MonotonicClock.sleep(nanoseconds: 20_000) } // the slow consumer
                }
            }
        }

        // Writers: a write only goes to a queue with room for it (the
        // controller's own count), so 16-entry queues wrap constantly but
        // never overflow however far the engine falls behind.
        let subsystem = fixture.subsystem
        let writerThreads = try (0..<2).map { writer in
            try OSThread(name: "writer \(writer)") {
                var written = [Int](repeating: 0, count: Self.queues + 1)
                var remaining = Self.queues / 2
                let deadline = MonotonicClock.nanoseconds() + 60_000_000_000 // bounded even if a queue jams
                while remaining > 0 && MonotonicClock.nanoseconds() < deadline {
                    remaining = 0
                    for cntlid in stride(from: 1 + writer, through: Self.queues, by: 2) where written[cntlid] < Self.writesPerQueue {
                        remaining += 1
                        let controller = subsystem.controller(UInt16(cntlid))!
                        guard (controller.queueSnapshot?.outstanding ?? Self.entries) < Self.entries - 3 else { continue }
                        _ = controller.write(
                            nsid: UInt32(cntlid), startingLBA: UInt64(written[cntlid]), blockCount: 1, data: nil)
                        written[cntlid] += 1
                    }
                    if writer == 1 { MonotonicClock.sleep(nanoseconds: 50_000) } // the slow writer
                }
            }
        }
        writerThreads.forEach { $0.join() }
        let deadline = MonotonicClock.nanoseconds() + 30_000_000_000
        while (1...Self.queues).contains(where: { delivered[$0].load(ordering: .acquiring) < Self.writesPerQueue })
                && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
        done.store(true, ordering: .releasing)
        consumerThreads.forEach { $0.join() }

        #expect(problems.load(ordering: .relaxed) == 0, "out of order, duplicated, foreign or overflowed records; \(fixture.engine.statistics.totals)")
        #expect((1...Self.queues).allSatisfy { delivered[$0].load(ordering: .relaxed) == Self.writesPerQueue })
        let totals = fixture.engine.statistics.totals
        #expect(totals.entries == UInt64(Self.queues * (Self.writesPerQueue + 1)))
        #expect(totals.ringFullStalls > 0, "the rings were small enough to push back")
        // Where the engine stopped reading is where the controller's head ends.
        let expectedHead = UInt32(Self.writesPerQueue + 1) % Self.entries
        let settle = MonotonicClock.nanoseconds() + 5_000_000_000
        var mismatched = attached
        while !mismatched.isEmpty && MonotonicClock.nanoseconds() < settle {
            mismatched = mismatched.filter { controllerHead(fixture, $0) != expectedHead }
            if !mismatched.isEmpty { MonotonicClock.sleep(nanoseconds: 2_000_000) }
        }
        #expect(mismatched.isEmpty, "\(mismatched.count) controllers' heads differ from the engine's read position")
        if let stuck = (1...Self.queues).first(where: { delivered[$0].load(ordering: .relaxed) < Self.writesPerQueue }),
           let queue = attached.first(where: { Int($0.cntlid) == stuck }) {
            Issue.record("""
                queue of controller \(stuck) stuck at \(delivered[stuck].load(ordering: .relaxed)) deliveries: \
                engine \(String(describing: fixture.engine.statistics(of: queue.handle))), \
                controller \(String(describing: subsystem.controller(UInt16(stuck))?.queueSnapshot))
                """)
        }
        for queue in attached.prefix(8) {
            #expect(try fixture.engine.unregister(queue.handle) == expectedHead)
        }
    }
}
