import CDQNVMe
import CDQSimulator
import Testing

@Suite struct MigrationTests {
    func receive(_ host: HostQueue, cntlid: UInt16 = 1, offset: UInt64 = 0, dwords: UInt32 = 16) -> (NVMeStatus, [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(dwords) * 4, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let status = host.admin(.migrationReceiveGetState(cntlid: cntlid, offset: offset, numberOfDwords: dwords), data: buffer).status
        return (status, Array(buffer))
    }

    @Test func suspendAndResumeFollowTheControllerState() throws {
        let host = try HostQueue()
        let resume = NVMeCommand.migrationSendResume(cntlid: 1)
        let suspend = NVMeCommand.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: false)
        #expect(host.admin(resume).status.rawValue == 0x413A, "Controller Not Suspended, DNR")
        #expect(host.admin(suspend).status == .success)
        #expect(host.subsystem.controller(1)!.isSuspended)
        #expect(host.admin(suspend).status.matches(.controllerSuspended))
        #expect(host.write(lba: 0) == .controllerSuspended)
        #expect(host.write(lba: 0, controller: 2) == .success, "other controllers keep running")
        #expect(host.admin(resume).status == .success)
        #expect(host.write(lba: 0) == .success)
        #expect(host.admin(.migrationSendResume(cntlid: 77)).status.matches(.invalidControllerIdentifier))
    }

    @Test func migrationReceiveReturnsTheStateOnlyWhileSuspended() throws {
        let host = try HostQueue()
        for lba in 0..<5 { host.write(lba: UInt64(lba)) }
        #expect(receive(host).0.matches(.controllerNotSuspended))
        _ = host.admin(.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: false))
        let (status, bytes) = receive(host)
        #expect(status == .success)
        let header = try #require(bytes.withUnsafeBytes { ControllerStateHeader(buffer: $0) })
        #expect(header.isSuspended)
        #expect(bytes[4] == 1 && bytes[5] == 0, "CNTLID")
        #expect(bytes[8] == 5, "writes completed")
        #expect(Array(bytes[40...]) == Array(repeating: 0, count: 24), "zero past the end of the state")
        let (tailStatus, tail) = receive(host, offset: 24, dwords: 1)
        #expect(tailStatus == .success)
        #expect(tail == [1, 0, 0, 0], "the NSID at offset 24")
        #expect(receive(host, offset: 4096).0.matches(.invalidFieldInCommand))
        #expect(receive(host, cntlid: 9).0.matches(.invalidControllerIdentifier))
    }

    @Test func identifyDescribesTheSubsystem() throws {
        let host = try HostQueue(controllers: 3, capacity: 2048)
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { page.deallocate() }
        #expect(host.admin(.identify(.controller), data: page).status == .success)
        let controller = try #require(IdentifyController(buffer: UnsafeRawBufferPointer(page)))
        #expect(controller.vid == SimulatedSubsystem.vendorID)
        #expect(controller.serialNumber == "CDQSIM0001")
        #expect(controller.modelNumber == SimulatedSubsystem.modelNumber)
        #expect(controller.numberOfNamespaces == 3)
        #expect(host.admin(.identify(.namespace(2)), data: page).status == .success)
        let namespace = try #require(IdentifyNamespace(buffer: UnsafeRawBufferPointer(page)))
        #expect(namespace.nsze == 2048 && namespace.lbaDataSize == 512)
        #expect(host.admin(.identify(.namespace(4)), data: page).status.matches(.invalidNamespaceOrFormat))
        let short = UnsafeMutableRawBufferPointer(rebasing: page[0..<100])
        #expect(host.admin(.identify(.controller), data: short).status.matches(.invalidFieldInCommand))
    }
}
