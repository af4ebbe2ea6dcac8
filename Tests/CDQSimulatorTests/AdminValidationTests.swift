import CDQTestSupport
import CDQNVMe
import CDQSimulator
import Testing

/// Malformed admin commands get the spec's status, never a trap (§1).
@Suite struct AdminValidationTests {
    func create(_ host: HostQueue, cntlid: UInt16 = 1, pc: Bool = true, dwords: UInt32? = nil,
                queueType: UInt8 = 0, memory: UnsafeMutableRawBufferPointer? = nil) -> NVMeStatus {
        host.admin(
            .controllerDataQueueCreate(queueType: queueType, physicallyContiguous: pc, migratableController: cntlid,
                                       sizeInDwords: dwords ?? host.entries * 8, prp1: 0),
            data: memory ?? host.memory).status
    }

    @Test func createChecksEveryField() throws {
        let host = try HostQueue(entries: 8)
        #expect(create(host, cntlid: 9).rawValue == 0x411F, "unknown CNTLID: Invalid Controller Identifier, DNR")
        #expect(create(host, cntlid: 0).matches(.invalidControllerIdentifier), "the managing controller is not migratable")
        #expect(create(host, pc: false).matches(.invalidFieldInCommand), "PC = 0 is refused")
        #expect(create(host, dwords: 60).matches(.invalidFieldInCommand), "not a multiple of an entry")
        #expect(create(host, dwords: 8).matches(.invalidFieldInCommand), "one entry is no queue")
        #expect(create(host, dwords: 16 * 8).matches(.invalidFieldInCommand), "more than the memory holds")
        #expect(create(host, queueType: 1).matches(.invalidFieldInCommand), "only user data migration queues")
        #expect(host.admin(.controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 64, prp1: 0)).status
            .matches(.invalidFieldInCommand), "no queue memory at all")
        #expect(host.subsystem.queueIDs.isEmpty, "no failed create leaves a queue behind")
        #expect(create(host) == .success)
    }

    @Test func queueMemoryMustBeAlignedAndZeroed() throws {
        let host = try HostQueue(entries: 8)
        let unaligned = UnsafeMutableRawBufferPointer(rebasing: host.memory[32...])
        #expect(create(host, dwords: 7 * 8, memory: unaligned).matches(.invalidFieldInCommand))
        host.memory[100] = 1
        #expect(create(host).matches(.invalidFieldInCommand), "stale bytes would read as entries")
        host.memory[100] = 0
        #expect(create(host) == .success)
    }

    @Test func oneQueuePerMigratableControllerAndABoundOnQueues() throws {
        let host = try HostQueue(entries: 8)
        #expect(create(host) == .success)
        let second = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 4096)
        defer { second.deallocate() }
        second.initializeMemory(as: UInt8.self, repeating: 0)
        #expect(create(host, memory: second).matches(.notEnoughResources))
        #expect(create(host, cntlid: 2, memory: second) == .success)
        #expect(host.subsystem.queueIDs == [1, 2])
    }

    @Test func reservedSelectsAreInvalidField() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        var reservedCDQ = NVMeCommand.controllerDataQueueDelete(cdqid: host.cdqid)
        reservedCDQ.cdw10 = (reservedCDQ.cdw10 & ~0xFF) | 2
        #expect(host.admin(reservedCDQ).status.matches(.invalidFieldInCommand))
        var memoryTracking = NVMeCommand.trackSend(cdqid: host.cdqid, logging: .start)
        memoryTracking.cdw10 = (memoryTracking.cdw10 & ~0xFF) | 1
        #expect(host.admin(memoryTracking).status.matches(.invalidFieldInCommand))
        var reservedAction = NVMeCommand.trackSend(cdqid: host.cdqid, logging: .start)
        reservedAction.cdw10 |= 0x7 << 16
        #expect(host.admin(reservedAction).status.matches(.invalidFieldInCommand))
        var reservedSuspendType = NVMeCommand.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: false)
        reservedSuspendType.cdw11 |= 0x7 << 16
        #expect(host.admin(reservedSuspendType).status.matches(.invalidFieldInCommand))
        var saved = NVMeCommand.setControllerDataQueue(cdqid: host.cdqid, head: 0, tailPointerTrigger: nil)
        saved.cdw10 |= 1 << 31
        #expect(host.admin(saved).status.matches(.featureIdentifierNotSaveable))
        #expect(host.admin(.getFeatures(featureID: FeatureID.arbitration)).status.matches(.invalidFieldInCommand))
    }

    @Test func unknownOpcodesAreInvalidCommandOpcodeWithDNR() throws {
        let host = try HostQueue()
        for opcode: UInt8 in [0x00, 0x01, 0x7F, 0xC0, 0xFF] {
            #expect(host.admin(NVMeCommand(opcode: opcode)).status.rawValue == 0x4001)
        }
    }

    @Test func arbitraryCommandImagesNeverTrap() throws {
        let host = try HostQueue(entries: 8)
        host.create()
        var generator = SplitMix64(seed: 42)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 4096)
        defer { buffer.deallocate() }
        for i in 0..<20_000 {
            var command = NVMeCommand(opcode: [0x06, 0x09, 0x0A, 0x3D, 0x41, 0x42, 0x45][i % 7])
            command.nsid = UInt32(truncatingIfNeeded: generator.next() % 4)
            command.cdw10 = UInt32(truncatingIfNeeded: generator.next())
            command.cdw11 = UInt32(truncatingIfNeeded: generator.next())
            command.cdw12 = UInt32(truncatingIfNeeded: generator.next() % 3 == 0 ? generator.next() % 64 : generator.next())
            command.cdw13 = UInt32(truncatingIfNeeded: generator.next())
            command.cdw15 = UInt32(truncatingIfNeeded: generator.next() % 2048)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            _ = host.admin(command, data: generator.next() % 2 == 0 ? buffer : nil)
        }
        #expect(host.subsystem.adminCommandsExecuted == 20_001, "the create and every random command")
    }

    @Test func outOfRangeIOGetsLBAOutOfRange() throws {
        let host = try HostQueue(capacity: 1024)
        #expect(host.write(lba: 1024) == .lbaOutOfRange)
        #expect(host.write(lba: 1020, blocks: 8) == .lbaOutOfRange)
        #expect(host.write(lba: UInt64.max - 1, blocks: 4) == .lbaOutOfRange, "no overflow")
        let controller = host.subsystem.controller(1)!
        #expect(controller.deallocate(nsid: 1, startingLBA: 2000, blockCount: 1) == .lbaOutOfRange)
        #expect(controller.writeZeroes(nsid: 2, startingLBA: 0, blockCount: 1) == .invalidNamespaceOrFormat, "controller 1 has only NSID 1")
    }
}
