import CDQNVMe
import CDQUring
import Testing

@testable import CDQSimulator

#if canImport(Glibc)
import Glibc
#endif

/// The admin cost model (docs/simulator.md): bounded slots shared by every
/// channel, one service at a time, a latency, an AER re-arm per delivered
/// event. Times are checked only as lower bounds the model guarantees,
/// never as upper bounds a loaded machine could miss.
@Suite struct AdminCostTests {
    @Test func theTimelineServesOneAtATimeAndCompletesAfterTheLatency() {
        var timeline = AdminTimeline(cost: AdminCost(latencyNanoseconds: 100, serviceNanoseconds: 10, depth: 2))
        let first = timeline.admit(arrival: 0, slotFreedAt: 0)
        let second = timeline.admit(arrival: 0, slotFreedAt: 0)
        #expect(first == .init(admission: 0, serviceStart: 0, serviceEnd: 10, completion: 100))
        #expect(second == .init(admission: 0, serviceStart: 10, serviceEnd: 20, completion: 100), "served after the first")
        // A third waits for the slot the first frees at 100.
        let third = timeline.admit(arrival: 5, slotFreedAt: first.completion)
        #expect(third == .init(admission: 100, serviceStart: 100, serviceEnd: 110, completion: 200))

        var serviceBound = AdminTimeline(cost: AdminCost(latencyNanoseconds: 0, serviceNanoseconds: 10))
        let completions = (0..<3).map { _ in serviceBound.admit(arrival: 0, slotFreedAt: 0).completion }
        #expect(completions == [10, 20, 30], "without latency the service time alone paces completions")
    }

    @Test func moreChannelsAndCommandsThanSlotsAllCompleteOnceInOrder() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        let cost = AdminCost(latencyNanoseconds: 200_000, serviceNanoseconds: 20_000, depth: 4)
        let runner = try ControllerRunner(subsystem: host.subsystem, adminCost: cost)
        try runner.start()
        defer { runner.stop() }
        let channels = try (0..<6).map { _ in try runner.openChannel(depth: 8) }
        let start = MonotonicClock.nanoseconds()
        for channel in channels {
            for tag in 0..<8 {
                #expect(channel.submit(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil)), tag: UInt64(tag)))
            }
            channel.ringDoorbell()
        }
        var tags = Array(repeating: [UInt64](), count: channels.count)
        let deadline = start + 20_000_000_000
        while tags.map(\.count).reduce(0, +) < 48 && MonotonicClock.nanoseconds() < deadline {
            for (index, channel) in channels.enumerated() {
                channel.reap { tag, completion in
                    #expect(completion.status == .success)
                    tags[index].append(tag)
                }
            }
            usleep(200)
        }
        let elapsed = MonotonicClock.nanoseconds() - start
        #expect(tags.allSatisfy { $0 == Array(0..<8) }, "every command completes once, in order per channel")
        let statistics = runner.adminStatistics
        #expect(statistics.commandsServed == 48)
        #expect(statistics.peakOccupancy == 4, "the depth bounds the slots in use, and 48 commands fill them")
        #expect(channels.allSatisfy { $0.commandsCompleted == 8 && $0.inFlight == 0 })
        // 48 commands through 4 slots held 200 µs each, 20 µs of service each.
        #expect(elapsed >= 12 * 200_000, "a slot is held for the latency")
        #expect(elapsed >= 48 * 20_000, "service is serialised")
    }

    @Test func serviceIsSerialisedAndLatencyIsNeverShorter() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        let runner = try ControllerRunner(subsystem: host.subsystem, adminCost: AdminCost(latencyNanoseconds: 0, serviceNanoseconds: 1_000_000))
        try runner.start()
        defer { runner.stop() }
        let channel = try runner.openChannel(depth: 16)
        var start = MonotonicClock.nanoseconds()
        for tag in 0..<10 { #expect(channel.submit(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil)), tag: UInt64(tag))) }
        channel.ringDoorbell()
        var done = 0
        while done < 10 {
            channel.waitForCompletionEvent()
            done += channel.reap { _, _ in }
        }
        #expect(MonotonicClock.nanoseconds() - start >= 10_000_000, "ten 1 ms services one after another")

        let slow = try ControllerRunner(subsystem: host.subsystem, adminCost: AdminCost(latencyNanoseconds: 5_000_000, serviceNanoseconds: 0))
        try slow.start()
        defer { slow.stop() }
        let blocking = try slow.openChannel()
        start = MonotonicClock.nanoseconds()
        #expect(blocking.execute(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil))).status == .success)
        #expect(MonotonicClock.nanoseconds() - start >= 5_000_000, "the latency is honoured")
    }

    @Test func eachDeliveredEventReArmsAnAER() throws {
        for cost in [AdminCost.free, AdminCost(latencyNanoseconds: 50_000, serviceNanoseconds: 10_000)] {
            let host = try HostQueue(entries: 16)
            host.create()
            host.track(.start)
            let runner = try ControllerRunner(subsystem: host.subsystem, adminCost: cost)
            try runner.start()
            defer { runner.stop() }
            host.setHead(1, trigger: 2)
            host.write(lba: 0)
            host.subsystem.faults.dropNextTriggers(1)
            host.setHead(2, trigger: 3)
            host.write(lba: 1) // dropped: no event, no re-arm
            host.setHead(3, trigger: 4)
            host.write(lba: 2)
            let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
            while runner.adminStatistics.aerRearms < 2 && MonotonicClock.nanoseconds() < deadline { usleep(1000) }
            usleep(20_000)
            #expect(runner.adminStatistics.aerRearms == 2, "one re-arm per delivered event (\(cost))")
            #expect(runner.adminStatistics.commandsServed == 0, "a re-arm has no client completion")
            // Two re-arms taken in one turn hold two slots at once under a latency.
            #expect(cost.isFree ? runner.adminStatistics.peakOccupancy == 1 : (1...2).contains(runner.adminStatistics.peakOccupancy))
        }
    }

    @Test func freeCostServesEverythingAtOnceAsBefore() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        let runner = try ControllerRunner(subsystem: host.subsystem, mode: .manual)
        let channel = try runner.openChannel(depth: 64)
        for tag in 0..<40 { #expect(channel.submit(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil)), tag: UInt64(tag))) }
        channel.ringDoorbell()
        #expect(runner.step() == 40, "no depth limit when commands take no time")
        #expect(channel.reap { _, _ in } == 40)
        #expect(runner.adminStatistics.commandsServed == 40 && runner.adminStatistics.peakOccupancy == 1)
    }

    @Test func stoppingCompletesWhatWaits() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        let runner = try ControllerRunner(subsystem: host.subsystem, adminCost: AdminCost(latencyNanoseconds: 500_000_000, serviceNanoseconds: 0, depth: 1))
        try runner.start()
        let channel = try runner.openChannel()
        for tag in 0..<3 { #expect(channel.submit(AdminRequest(.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil)), tag: UInt64(tag))) }
        channel.ringDoorbell()
        runner.stop()
        var tags: [UInt64] = []
        channel.reap { tag, _ in tags.append(tag) }
        #expect(tags == [0, 1, 2])
    }

    @Test func aCostThatCannotBeSimulatedIsRefused() throws {
        let host = try HostQueue()
        for cost in [AdminCost(depth: 0), AdminCost(latencyNanoseconds: 2_000_000_000), AdminCost(serviceNanoseconds: 2_000_000_000)] {
            #expect(throws: SystemError.self) { try ControllerRunner(subsystem: host.subsystem, adminCost: cost) }
        }
        #expect(AdminCost.problem(microseconds: -1, name: "--admin-latency-us") != nil)
        #expect(AdminCost.problem(microseconds: .nan, name: "--admin-latency-us") != nil)
        #expect(AdminCost.problem(microseconds: 100, name: "--admin-latency-us") == nil)
    }
}
