import CDQTestSupport
import CDQNVMe
import CDQSimulator
import Testing

/// One test per producer rule of cdq-protocol.md §3.
@Suite struct ProducerConformanceTests {
    @Test func phaseIsOneOnTheFirstLapAndFlipsOnWrap() throws {
        let host = try HostQueue(entries: 8)
        #expect(host.create().status == .success)
        #expect(host.track(.start).status == .success)
        for lba in 0..<6 { host.write(lba: UInt64(lba)) }
        let firstLap = host.consume()
        #expect(firstLap.count == 7, "FIRST plus six writes")
        #expect(firstLap.allSatisfy { $0.phaseTag }, "phase 1 on the first lap")
        for lba in 6..<9 { host.write(lba: UInt64(lba)) }
        // Slot 7 still belongs to lap one; slots 0 and 1 are lap two.
        #expect(host.entry(at: 7).phaseTag == true)
        #expect(host.entry(at: 0).phaseTag == false)
        #expect(host.entry(at: 1).phaseTag == false)
        #expect(host.entry(at: 1).startingLBA == 8)
        let secondLap = host.consume()
        #expect(secondLap.map(\.startingLBA) == [6, 7, 8])
    }

    @Test func capacityIsEntriesMinusOneAndTheFillingEntryIsESA7() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        host.track(.start)
        for lba in 0..<20 { #expect(host.write(lba: UInt64(lba)) == .success, "writes succeed even when not logged") }
        let posted = host.drain()
        #expect(posted.count == 7, "at most entries - 1 outstanding")
        #expect(posted.first?.entryStatus == .first)
        #expect(posted.dropFirst().dropLast().map(\.startingLBA) == [0, 1, 2, 3, 4])
        let last = try #require(posted.last)
        #expect(last.entryStatus == .lastQueueFull)
        #expect(last.lbaChange == .noLBAChange && last.nsid == 0 && last.startingLBA == 0)
        #expect(host.entry(at: 7).attributes == 0, "the slot before the head stays untouched")
        #expect(try host.signals() == 1, "the full queue is signalled once")
    }

    @Test func nothingIsLoggedAfterFullUntilTheHeadMoves() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        host.track(.start)
        for lba in 0..<7 { host.write(lba: UInt64(lba)) }
        let before = host.snapshot
        for lba in 100..<110 { host.write(lba: UInt64(lba)) }
        #expect(host.snapshot == before, "silence after ESA 7")
        _ = host.consume()
        host.write(lba: 500)
        #expect(host.drain().map(\.startingLBA) == [500], "logging resumes once the head advanced")
    }

    @Test func theTriggerFiresExactlyOnceAtItsIndex() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start) // FIRST at slot 0, tail 1
        #expect(host.setHead(0, trigger: 4).status == .success)
        host.write(lba: 1)
        host.write(lba: 2)
        #expect(try host.signals() == 0, "tail 3: not yet")
        host.write(lba: 3)
        #expect(try host.signals() == 1, "tail reached 4")
        for lba in 4..<12 { host.write(lba: UInt64(lba)) }
        #expect(try host.signals() == 0, "one-shot: disarmed after firing")
        #expect(host.getFeature().1?.triggerArmed == false, "reported disarmed once fired")
    }

    @Test func aHeadUpdateWithoutETPTDisarmsTheTrigger() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        host.setHead(0, trigger: 3)
        #expect(host.setHead(1, trigger: nil).status == .success)
        for lba in 0..<10 { host.write(lba: UInt64(lba)) }
        #expect(try host.signals() == 0)
    }

    @Test func aTriggerIndexAlreadyPassedFiresOnlyAfterAWrap() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        host.track(.start)
        for lba in 0..<4 { host.write(lba: UInt64(lba)) } // tail 5
        _ = host.consume(trigger: 2) // head 5, trigger behind the tail
        for lba in 4..<8 { host.write(lba: UInt64(lba)) } // tail 5 -> 1 (wrapped)
        #expect(try host.signals() == 0)
        host.write(lba: 8) // tail 2
        #expect(try host.signals() == 1)
    }

    @Test func anInvalidHeadIsRejectedWithInvalidField() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        host.track(.start)
        host.write(lba: 0) // tail 2
        let beyondQueue = host.setHead(8)
        #expect(beyondQueue.status.matches(.invalidFieldInCommand) && beyondQueue.status.doNotRetry)
        #expect(host.setHead(3).status.matches(.invalidFieldInCommand), "past the tail: not posted yet")
        #expect(host.setHead(0, trigger: 8).status.matches(.invalidFieldInCommand), "trigger outside the queue")
        #expect(host.setHead(2).status == .success, "up to the tail is fine")
        #expect(host.getFeature().1?.head == 2)
        #expect(host.setHead(1).status.matches(.invalidFieldInCommand), "the head never moves back")
    }

    @Test func trackSendPostsFirstAndLastAndRepeatsPostNothing() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        #expect(host.track(.stop).status == .success)
        #expect(host.drain().isEmpty, "stopping while stopped posts nothing")
        host.track(.start)
        host.track(.start)
        host.write(lba: 42, blocks: 8)
        host.track(.stop)
        host.track(.stop)
        host.write(lba: 43)
        let entries = host.drain()
        #expect(entries.map(\.entryStatus) == [.first, .middle, .lastLoggingStopped])
        #expect(entries[0].lbaChange == .noLBAChange && entries[2].lbaChange == .noLBAChange)
        #expect(entries[1].nsid == 1 && entries[1].startingLBA == 42)
        #expect(entries[1].numberOfLogicalBlocks == 7, "NLB is 0's based for writes")
        #expect(entries[1].blockCount() == 8)
        #expect(entries.allSatisfy { $0.validate() == nil })
    }

    @Test func suspendPostsLastSuspendedAndDUDMQDeletesTheQueue() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        host.write(lba: 7)
        let suspend = host.admin(.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: true))
        #expect(suspend.status == .success)
        #expect(host.drain().map(\.entryStatus) == [.first, .middle, .lastControllerSuspended])
        #expect(host.subsystem.queueIDs.isEmpty, "DUDMQ deleted the queue")
        #expect(host.getFeature().0.status.matches(.invalidControllerDataQueue))
        #expect(host.write(lba: 8) == .controllerSuspended, "a suspended controller takes no writes")
    }

    @Test func aNotificationChangesNothing() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        let notify = host.admin(.migrationSendSuspend(cntlid: 1, suspendType: .notification, deleteUserDataMigrationQueue: true))
        #expect(notify.status == .success)
        #expect(host.write(lba: 9) == .success)
        #expect(host.drain().map(\.entryStatus) == [.first, .middle])
        #expect(host.subsystem.queueIDs == [host.cdqid])
    }

    @Test func anUnknownCDQIDGetsInvalidControllerDataQueue() throws {
        let host = try HostQueue()
        host.create()
        let unknown = host.cdqid &+ 5
        for command in [
            NVMeCommand.trackSend(cdqid: unknown, logging: .start),
            .setControllerDataQueue(cdqid: unknown, head: 0, tailPointerTrigger: nil),
            .controllerDataQueueDelete(cdqid: unknown),
        ] {
            let completion = host.admin(command)
            #expect(completion.status.rawValue == 0x4137, "\(command.opcode): \(completion.status)")
        }
    }

    @Test func aDeletedQueuesMemoryIsNeverWrittenAgain() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        host.setHead(0, trigger: 5)
        host.write(lba: 1)
        #expect(host.admin(.controllerDataQueueDelete(cdqid: host.cdqid)).status == .success)
        let before = host.snapshot
        for lba in 0..<40 { host.write(lba: UInt64(lba)) }
        host.track(.stop)
        _ = host.admin(.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: false))
        #expect(host.snapshot == before)
        #expect(try host.signals() == 0, "and its eventfd is never signalled again")
    }

    @Test func loggedRangesCoverExactlyTheWrittenLBAs() throws {
        let host = try HostQueue(entries: 64, capacity: 4096)
        host.create()
        host.track(.start)
        var generator = SplitMix64(seed: 0xC0FFEE)
        var written = Set<UInt64>(), logged = Set<UInt64>()
        for _ in 0..<2000 {
            let blocks = UInt32(generator.next() % 16 + 1)
            let lba = generator.next() % (4096 - UInt64(blocks))
            #expect(host.write(lba: lba, blocks: blocks) == .success)
            for block in lba..<lba + UInt64(blocks) { written.insert(block) }
            for entry in host.consume() where entry.entryStatus == .middle {
                #expect(entry.lbaChange == .rangeChanged && entry.nsid == 1)
                for block in entry.startingLBA..<entry.startingLBA + entry.blockCount() { logged.insert(block) }
            }
        }
        #expect(written == logged)
    }
}
