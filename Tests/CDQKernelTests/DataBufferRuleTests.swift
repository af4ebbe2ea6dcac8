@testable import CDQKernel
import CDQNVMe
import Testing

@Suite struct DataBufferRuleTests {
    func buffer(_ count: Int) -> UnsafeMutableRawBufferPointer {
        .allocate(byteCount: count, alignment: 4096)
    }

    func rejected(_ command: NVMeCommand, _ data: UnsafeMutableRawBufferPointer?, admin: Bool = true) -> String? {
        do {
            try DataBufferRule.check(command, data: data, admin: admin)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func identifyNeedsFourKiB() {
        let short = buffer(4095), full = buffer(4096)
        defer { short.deallocate(); full.deallocate() }
        #expect(rejected(.identify(.controller), short) == "data buffer rejected: opcode 0x06 transfers 4096 bytes, but the buffer has 4095")
        #expect(rejected(.identify(.controller), full) == nil)
        #expect(rejected(.identify(.controller), nil) == "data buffer rejected: opcode 0x06 transfers data, but no buffer was given")
    }

    @Test func lengthsFollowTheCommandsOwnFields() {
        let b = buffer(4096)
        defer { b.deallocate() }
        let small = UnsafeMutableRawBufferPointer(rebasing: b[0..<508])
        #expect(rejected(.getLogPage(logPageID: 2, numberOfDwords: 128), small) != nil, "128 dwords are 512 bytes")
        #expect(rejected(.getLogPage(logPageID: 2, numberOfDwords: 127), small) == nil)
        #expect(rejected(.migrationReceiveGetState(cntlid: 1, offset: 0, numberOfDwords: 128), small) != nil)
        #expect(DataBufferRule.expectation(.migrationReceiveGetState(cntlid: 1, offset: 0, numberOfDwords: 128), admin: true) == .atLeast(512))
        let create = NVMeCommand.controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 1024, prp1: 0)
        #expect(DataBufferRule.expectation(create, admin: true) == .atLeast(4096))
        #expect(rejected(create, small) != nil)
        #expect(DataBufferRule.expectation(.getControllerDataQueue(cdqid: 3), admin: true) == .atLeast(8))
    }

    @Test func featuresWithoutDataNeedNoBuffer() {
        #expect(rejected(.getFeatures(featureID: FeatureID.numberOfQueues), nil) == nil)
        #expect(rejected(.setFeatures(featureID: FeatureID.numberOfQueues, cdw11: 0x0003_0003), nil) == nil)
        #expect(rejected(.getControllerDataQueue(cdqid: 3), nil) != nil, "FID 0x21 returns 8 bytes")
    }

    @Test func commandsWithoutDataRefuseABuffer() {
        let b = buffer(64)
        defer { b.deallocate() }
        #expect(rejected(.controllerDataQueueDelete(cdqid: 1), b) == "data buffer rejected: opcode 0x45 transfers no data, but a 64-byte buffer was given")
        #expect(rejected(.controllerDataQueueDelete(cdqid: 1), nil) == nil)
        #expect(rejected(.trackSend(cdqid: 1, logging: .start), b) != nil)
        #expect(rejected(.migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: true), b) != nil)
        #expect(rejected(.migrationSendResume(cntlid: 1), nil) == nil)
    }

    @Test func ioLengthsAreLeftToTheCaller() {
        // Opcode 0x02 is Get Log Page on the admin queue but Read on an I/O queue.
        #expect(DataBufferRule.expectation(.read(nsid: 1, startingLBA: 0, blockCount: 1), admin: false) == .required)
        #expect(DataBufferRule.expectation(.flush(nsid: 1), admin: false) == .noData)
    }
}
