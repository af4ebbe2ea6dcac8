import CDQNVMe
import CDQSimulator
import Testing

/// What the simulated controller reports about itself must be what happened:
/// every change that no entry carries is counted lost, and a disarmed
/// trigger reads back as disarmed.
@Suite struct HonestCounterTests {
    /// A queue of `entries` that the host never drains holds FIRST and
    /// `entries - 3` changes; the next change becomes the ESA 7 entry, and
    /// it and every change after it are lost.
    @Test(arguments: [5 as UInt32, 8, 129])
    func everyChangeNoEntryCarriesIsCountedLost(entries: UInt32) throws {
        let host = try HostQueue(entries: entries)
        host.create()
        host.track(.start)
        let writes = entries + 5
        for lba in 0 ..< UInt64(writes) { host.write(lba: lba) }
        let found = host.drain()
        let changes = found.filter { $0.entryStatus == .middle }.count
        #expect(changes == Int(entries) - 3)
        #expect(found.last?.entryStatus == .lastQueueFull)
        let controller = host.subsystem.controller(host.cntlid)!
        #expect(controller.lostChanges == UInt64(writes) - UInt64(changes), "one lost change per write no entry carries")
        // The same count in the controller state (bytes 16-23 of the blob).
        host.admin(.migrationSendSuspend(cntlid: host.cntlid, suspendType: .suspend, deleteUserDataMigrationQueue: false))
        let state = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { state.deallocate() }
        let received = host.admin(.migrationReceiveGetState(cntlid: host.cntlid, offset: 0, numberOfDwords: 1024), data: state)
        #expect(received.status == .success)
        #expect(state.loadUnaligned(fromByteOffset: 16, as: UInt64.self) == controller.lostChanges)
    }

    @Test func aTriggerDisarmedByAHeadUpdateReadsBackAsDisarmed() throws {
        let host = try HostQueue(entries: 16)
        host.create()
        host.track(.start)
        host.setHead(0, trigger: 3)
        #expect(host.getFeature().1?.tailPointerTrigger == 3)
        #expect(host.getFeature().1?.triggerArmed == true)
        host.setHead(1, trigger: nil)
        let feature = try #require(host.getFeature().1)
        #expect(feature.head == 1)
        #expect(!feature.triggerArmed, "ETPT=0 disarmed the trigger")
        #expect(feature.tailPointerTrigger == CDQFeatureData.triggerDisarmed)
    }
}
