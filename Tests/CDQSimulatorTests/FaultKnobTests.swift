import CDQNVMe
import CDQSimulator
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FaultKnobTests {
    func armedQueue() throws -> HostQueue {
        let host = try HostQueue(entries: 64)
        host.create()
        host.track(.start)
        return host
    }

    @Test func droppedTriggersNeverArrive() throws {
        let host = try armedQueue()
        host.subsystem.faults.dropNextTriggers(1)
        host.setHead(0, trigger: 2)
        host.write(lba: 0)
        #expect(try host.signals() == 0)
        _ = host.consume(trigger: 4)
        host.write(lba: 1)
        host.write(lba: 2)
        #expect(try host.signals() == 1, "only the next one was dropped")
        #expect(host.subsystem.faults.statistics.triggersDropped == 1)
        #expect(host.subsystem.faults.statistics.triggersDelivered == 1)
    }

    @Test func maskingAfterTheFirstDeliveryMimicsTheEmulation() throws {
        let host = try armedQueue()
        host.subsystem.faults.maskAfterFirstDelivery(true)
        for round in 0..<3 {
            _ = host.consume(trigger: UInt32(2 + round * 2))
            host.write(lba: 0)
            host.write(lba: 1)
        }
        #expect(try host.signals() == 1)
        #expect(host.subsystem.faults.statistics.triggersDropped == 2)
    }

    @Test func delayedTriggersArriveLater() throws {
        let host = try armedQueue()
        host.subsystem.faults.delayTriggers(byNanoseconds: 20_000_000)
        host.setHead(0, trigger: 2)
        host.write(lba: 0)
        #expect(try host.signals() == 0, "not yet")
        usleep(30_000)
        host.subsystem.deliverDueSignals()
        #expect(try host.signals() == 1)
        #expect(host.subsystem.faults.statistics.triggersDelayed == 1)
    }

    @Test func failedAdminCommandsCarryTheChosenStatus() throws {
        let host = try armedQueue()
        host.subsystem.faults.failNextAdminCommands(2, with: .internalError)
        #expect(host.setHead(1).status == .internalError)
        #expect(host.setHead(1).status == .internalError)
        #expect(host.setHead(1).status == .success)
        #expect(host.subsystem.faults.statistics.adminCommandsFailed == 2)
    }
}
