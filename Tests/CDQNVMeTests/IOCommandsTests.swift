import Testing
import CDQNVMe

// NVM command set: CDW10/11 = SLBA low/high, CDW12[15:0] = NLB (0's based).

@Test func readEncodesZeroBasedCount() {
    let command = NVMeCommand.read(nsid: 1, startingLBA: 0x0000_0012_3456_789A, blockCount: 8)
    #expect(command.bytes == image(dwords: [0: 0x02, 1: 1, 10: 0x3456_789A, 11: 0x12, 12: 7]))
}

@Test func writeOfOneBlockEncodesZero() {
    let command = NVMeCommand.write(nsid: 2, startingLBA: 5, blockCount: 1)
    #expect(command.bytes == image(dwords: [0: 0x01, 1: 2, 10: 5, 12: 0]))
}

@Test func largestTransferFillsTheField() {
    let command = NVMeCommand.read(nsid: 1, startingLBA: .max, blockCount: 65536)
    #expect(command.bytes == image(dwords: [0: 0x02, 1: 1, 10: 0xFFFF_FFFF, 11: 0xFFFF_FFFF, 12: 0xFFFF]))
}

@Test func writeZeroesWithDeallocate() {
    let command = NVMeCommand.writeZeroes(nsid: 3, startingLBA: 100, blockCount: 16, deallocate: true)
    #expect(command.bytes == image(dwords: [0: 0x08, 1: 3, 10: 100, 12: 15 | 1 << 25 /* DEAC */]))
    #expect(NVMeCommand.writeZeroes(nsid: 3, startingLBA: 100, blockCount: 16).cdw12 == 15)
}

@Test func flush() {
    #expect(NVMeCommand.flush(nsid: 0xFFFF_FFFF).bytes == image(dwords: [0: 0x00, 1: 0xFFFF_FFFF]))
}

@Test func datasetManagementDeallocate() {
    let command = NVMeCommand.datasetManagementDeallocate(nsid: 1, numberOfRanges: 3)
    #expect(command.bytes == image(dwords: [0: 0x09, 1: 1, 10: 2 /* NR 0's based */, 11: 1 << 2 /* AD */]))
    #expect(NVMeCommand.datasetManagementDeallocate(nsid: 1, numberOfRanges: 256).cdw10 == 255)
    #expect(command.dataTransfer == .hostToController)
}

@Test func zeroBlocksIsAProgrammerError() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeCommand.read(nsid: 1, startingLBA: 0, blockCount: 0)
    }
}

@Test func tooManyBlocksIsAProgrammerError() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeCommand.write(nsid: 1, startingLBA: 0, blockCount: 65537)
    }
}

@Test func tooManyRangesIsAProgrammerError() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeCommand.datasetManagementDeallocate(nsid: 1, numberOfRanges: 257)
    }
}
