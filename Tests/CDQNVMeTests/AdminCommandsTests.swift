import Testing
import CDQNVMe

// Expected images are built from the specification's field positions,
// written out here, not from the builders' code.

@Test func identifyController() {
    // Opcode 0x06, CDW10[7:0] CNS = 1, NSID 0.
    #expect(NVMeCommand.identify(.controller).bytes == image(dwords: [0: 0x06, 10: 0x01]))
}

@Test func identifyNamespace() {
    // CNS 0, NSID = namespace.
    #expect(NVMeCommand.identify(.namespace(7)).bytes == image(dwords: [0: 0x06, 1: 7, 10: 0x00]))
}

@Test func identifyActiveNamespaceList() {
    // CNS 2, NSID = list starts after this one.
    #expect(NVMeCommand.identify(.activeNamespaceIDList(after: 3)).bytes
        == image(dwords: [0: 0x06, 1: 3, 10: 0x02]))
}

@Test func getFeaturesWithSelect() {
    let fid: UInt32 = 0x07
    let sel: UInt32 = 3 // supported capabilities
    let command = NVMeCommand.getFeatures(
        featureID: FeatureID.numberOfQueues, select: .supportedCapabilities, cdw11: 0xAB, nsid: 9)
    #expect(command.bytes == image(dwords: [0: 0x0A, 1: 9, 10: fid | sel << 8, 11: 0xAB]))
}

@Test func getFeaturesDefaultsToCurrent() {
    #expect(NVMeCommand.getFeatures(featureID: FeatureID.volatileWriteCache).bytes
        == image(dwords: [0: 0x0A, 10: 0x06]))
}

@Test func setFeaturesWithSave() {
    let command = NVMeCommand.setFeatures(
        featureID: FeatureID.numberOfQueues, cdw11: 0x000F_000F, cdw12: 0x55, save: true, nsid: 0)
    #expect(command.bytes == image(dwords: [0: 0x09, 10: 0x07 | 1 << 31, 11: 0x000F_000F, 12: 0x55]))
}

@Test func setFeaturesWithoutSave() {
    let command = NVMeCommand.setFeatures(featureID: FeatureID.arbitration, cdw11: 3)
    #expect(command.bytes == image(dwords: [0: 0x09, 10: 0x01, 11: 3]))
}

@Test func getLogPageSmallAllFields() {
    // 128 dwords (512 bytes) of the SMART log: NUMD = 127 -> NUMDL 127, NUMDU 0.
    let command = NVMeCommand.getLogPage(
        logPageID: LogPageID.smartHealthInformation, numberOfDwords: 128, offset: 0x1_0000_0008,
        logSpecific: 0x7F, retainAsynchronousEvent: true, logSpecificIdentifier: 0x1234, nsid: 1)
    let cdw10: UInt32 = 0x02 | 0x7F << 8 | 1 << 15 | 127 << 16
    let cdw11: UInt32 = 0 | 0x1234 << 16
    #expect(command.bytes == image(dwords: [0: 0x02, 1: 1, 10: cdw10, 11: cdw11, 12: 0x8, 13: 0x1]))
}

@Test func getLogPageSplitsNUMDAcrossDwords() {
    // 0x12345 dwords -> NUMD 0x12344: NUMDL 0x2344, NUMDU 0x0001. NSID defaults to all.
    let command = NVMeCommand.getLogPage(logPageID: LogPageID.errorInformation, numberOfDwords: 0x12345)
    #expect(command.bytes == image(dwords: [0: 0x02, 1: 0xFFFF_FFFF, 10: 0x01 | 0x2344 << 16, 11: 0x0001]))
}

@Test func getLogPageOneDwordEncodesZero() {
    #expect(NVMeCommand.getLogPage(logPageID: 0xC0, numberOfDwords: 1).cdw10 == 0xC0)
    let max = NVMeCommand.getLogPage(logPageID: 0, numberOfDwords: .max)
    #expect(max.cdw10 == 0xFFFE << 16 && max.cdw11 == 0xFFFF)
}

@Test func getLogPageRejectsZeroDwords() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeCommand.getLogPage(logPageID: 1, numberOfDwords: 0)
    }
}

@Test func featureIdentifiers() {
    #expect(FeatureID.arbitration == 0x01)
    #expect(FeatureID.powerManagement == 0x02)
    #expect(FeatureID.temperatureThreshold == 0x04)
    #expect(FeatureID.volatileWriteCache == 0x06)
    #expect(FeatureID.numberOfQueues == 0x07)
    #expect(FeatureID.asyncEventConfiguration == 0x0B)
    #expect(FeatureID.controllerDataQueue == 0x21)
}

@Test func commandsRoundTripThroughImages() {
    let commands: [NVMeCommand] = [
        .identify(.controller), .identify(.namespace(1)),
        .getFeatures(featureID: 0x21, select: .saved, cdw11: 4),
        .setFeatures(featureID: 0x0B, cdw11: 0xFFFF, save: true),
        .getLogPage(logPageID: 2, numberOfDwords: 0x1_0000, offset: 4096, retainAsynchronousEvent: true),
    ]
    for command in commands {
        #expect(NVMeCommand(bytes: command.bytes) == command)
    }
}
