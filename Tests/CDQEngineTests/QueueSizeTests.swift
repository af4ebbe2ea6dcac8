import CDQEngine
import CDQNVMe
import CDQSimulator
import Testing

/// A queue too small to carry a FIRST, a change and a LAST is refused with
/// the reason, by every way of making one, before anything is created.
@Suite struct QueueSizeTests {
    @Test(arguments: [0 as UInt32, 2, 3, 4])
    func anAttachedQueueTooSmallToDeliverIsRefused(entries: UInt32) throws {
        let host = try AttachedQueueTests.Host()
        let consumer = try Consumer()
        #expect {
            _ = try host.attach(1, entries: entries, consumer: consumer)
        } throws: { error in
            "\(error)".contains("cannot hold a FIRST, a change and a LAST") && "\(error)".contains("at least 5")
        }
        #expect(host.leftNothing)
    }

    @Test(arguments: [2 as UInt32, 4])
    func aSimulatedQueueTooSmallToDeliverIsRefused(entries: UInt32) throws {
        let fixture = try EngineFixture(controllers: 1)
        let consumer = try Consumer()
        #expect {
            try fixture.attach(cntlid: 1, entries: entries, consumer: consumer)
        } throws: { error in
            "\(error)".contains("cannot hold a FIRST, a change and a LAST")
        }
        #expect(fixture.subsystem.queueIDs.isEmpty)
    }

    @Test func theSmallestAllowedQueueAttaches() throws {
        let host = try AttachedQueueTests.Host()
        let consumer = try Consumer()
        let queue = try host.attach(1, entries: ControllerDataQueue.minimumEntries, consumer: consumer)
        try queue.stopLoggingAndDetach()
        #expect(host.leftNothing)
    }
}
