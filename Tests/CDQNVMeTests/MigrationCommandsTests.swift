import Testing
import CDQNVMe

// Field positions from cdq-protocol.md §1, written out per test.

@Test func controllerDataQueueCreateContiguous() {
    let command = NVMeCommand.controllerDataQueueCreate(
        physicallyContiguous: true, migratableController: 0x0102,
        sizeInDwords: 4096 / 4, prp1: 0x0000_0001_2345_6000)
    let cdw10: UInt32 = 0 /* SEL create */ | 0 << 16 /* MOS: user data migration queue */
    let cdw11: UInt32 = 1 /* PC */ | 0x0102 << 16 /* CQS */
    #expect(command.bytes == image(dwords: [
        0: 0x45, 6: 0x2345_6000, 7: 0x0000_0001, 10: cdw10, 11: cdw11, 12: 1024,
    ]))
    // The same image spelled out where it matters: opcode, PC, CQS, CDQSIZE.
    let bytes = command.bytes
    #expect(bytes[0] == 0x45)
    #expect(Array(bytes[44 ..< 48]) == [0x01, 0x00, 0x02, 0x01])
    #expect(Array(bytes[48 ..< 52]) == [0x00, 0x04, 0x00, 0x00])
}

@Test func controllerDataQueueCreateWithPRPListAndQueueType() {
    let command = NVMeCommand.controllerDataQueueCreate(
        queueType: 0x5A, physicallyContiguous: false, migratableController: 0,
        sizeInDwords: 0x0020_0000, prp1: 0x8000)
    #expect(command.bytes == image(dwords: [0: 0x45, 6: 0x8000, 10: 0x5A << 16, 11: 0, 12: 0x0020_0000]))
    #expect(ControllerDataQueue.userDataMigrationQueue == 0)
}

@Test func controllerDataQueueDelete() {
    #expect(NVMeCommand.controllerDataQueueDelete(cdqid: 0xABCD).bytes
        == image(dwords: [0: 0x45, 10: 1 /* SEL delete */, 11: 0xABCD]))
}

@Test func trackSendStartAndStop() {
    // SEL 0 (log user data changes), MOS[3:0] = LACT in CDW10[19:16].
    #expect(NVMeCommand.trackSend(cdqid: 3, logging: .start).bytes
        == image(dwords: [0: 0x3D, 10: 1 << 16, 11: 3]))
    #expect(NVMeCommand.trackSend(cdqid: 0xFFFF, logging: .stop).bytes
        == image(dwords: [0: 0x3D, 10: 0, 11: 0xFFFF]))
    #expect(LoggingAction.start.rawValue == 1 && LoggingAction.stop.rawValue == 0)
}

@Test func migrationSendSuspend() {
    let command = NVMeCommand.migrationSendSuspend(cntlid: 0x0007, suspendType: .suspend,
                                                   deleteUserDataMigrationQueue: true)
    let cdw11: UInt32 = 0x0007 | 1 << 16 /* STYPE suspend */ | 1 << 31 /* DUDMQ */
    #expect(command.bytes == image(dwords: [0: 0x41, 10: 0, 11: cdw11]))
}

@Test func migrationSendSuspendNotification() {
    let command = NVMeCommand.migrationSendSuspend(cntlid: 0xFFFF, suspendType: .notification,
                                                   deleteUserDataMigrationQueue: false)
    #expect(command.bytes == image(dwords: [0: 0x41, 10: 0, 11: 0xFFFF]))
}

@Test func migrationSendResume() {
    #expect(NVMeCommand.migrationSendResume(cntlid: 0x0102).bytes
        == image(dwords: [0: 0x41, 10: 1 /* SEL resume */, 11: 0x0102]))
}

@Test func migrationSendSetState() {
    let command = NVMeCommand.migrationSendSetState(
        cntlid: 0x0009, sequence: .first, controllerStateVersionIndex: 0x22,
        controllerStateUUIDIndex: 0x11, offset: 0x0000_0002_0000_0010, numberOfDwords: 256, uuidIndex: 5)
    let cdw10: UInt32 = 2 /* SEL set state */ | 1 << 16 /* MOS[1:0] first */
    let cdw11: UInt32 = 0x0009 | 0x22 << 16 | 0x11 << 24
    #expect(command.bytes == image(dwords: [
        0: 0x41, 10: cdw10, 11: cdw11, 12: 0x10, 13: 0x2, 14: 5, 15: 255,
    ]))
    #expect(command.dataTransfer == .hostToController)
}

@Test func migrationReceiveGetState() {
    let command = NVMeCommand.migrationReceiveGetState(
        cntlid: 0x0003, offset: 0x0000_0001_0000_0200, numberOfDwords: 1024)
    #expect(command.bytes == image(dwords: [
        0: 0x42, 10: 0 /* SEL get state */, 11: 0x0003, 12: 0x200, 13: 0x1, 15: 1023 /* 0's based */,
    ]))
    #expect(NVMeCommand.migrationReceiveGetState(cntlid: 0, offset: 0, numberOfDwords: 1).cdw15 == 0)
}

@Test func migrationReceiveAsksForAStateFormatVersionInMOS() {
    let command = NVMeCommand.migrationReceiveGetState(cntlid: 2, offset: 0, numberOfDwords: 1, formatVersion: 1)
    #expect(command.cdw10 == 0x0001_0000, "SEL 0, MOS = the version index")
    #expect(command.cdw11 == 2)
    #expect(NVMeCommand.migrationReceiveGetState(cntlid: 2, offset: 0, numberOfDwords: 1).cdw10 == 0, "version 0 by default")
}

@Test func migrationReceiveRejectsZeroDwords() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeCommand.migrationReceiveGetState(cntlid: 0, offset: 0, numberOfDwords: 0)
    }
}

@Test func setControllerDataQueueArmsTrigger() {
    let cdqid: UInt16 = 0x0042
    let command = NVMeCommand.setControllerDataQueue(cdqid: cdqid, head: 17, tailPointerTrigger: 100)
    #expect(command.bytes == image(dwords: [
        0: 0x09, 10: 0x21, 11: UInt32(cdqid) | 1 << 31 /* ETPT */, 12: 17, 13: 100,
    ]))
}

@Test func setControllerDataQueueWithoutTriggerDisarms() {
    let command = NVMeCommand.setControllerDataQueue(cdqid: 0xFFFF, head: 0xFFFF_FFFF, tailPointerTrigger: nil)
    #expect(command.bytes == image(dwords: [0: 0x09, 10: 0x21, 11: 0xFFFF, 12: 0xFFFF_FFFF, 13: 0]))
}

@Test func setControllerDataQueueTriggerAtZeroStillArms() {
    // An armed trigger at index 0 differs from no trigger only by ETPT.
    let command = NVMeCommand.setControllerDataQueue(cdqid: 1, head: 5, tailPointerTrigger: 0)
    #expect(command.cdw11 == 1 | 1 << 31 && command.cdw13 == 0)
}

@Test func getControllerDataQueue() {
    #expect(NVMeCommand.getControllerDataQueue(cdqid: 0x0102).bytes
        == image(dwords: [0: 0x0A, 10: 0x21, 11: 0x0102]))
}

@Test func migrationCommandsRoundTrip() {
    let commands: [NVMeCommand] = [
        .controllerDataQueueCreate(physicallyContiguous: true, migratableController: 1, sizeInDwords: 8, prp1: 4096),
        .controllerDataQueueDelete(cdqid: 9),
        .trackSend(cdqid: 9, logging: .start),
        .migrationSendSuspend(cntlid: 1, suspendType: .suspend, deleteUserDataMigrationQueue: true),
        .migrationSendResume(cntlid: 1),
        .migrationReceiveGetState(cntlid: 1, offset: 8, numberOfDwords: 2),
        .setControllerDataQueue(cdqid: 9, head: 1, tailPointerTrigger: 2),
    ]
    for command in commands {
        #expect(NVMeCommand(bytes: command.bytes) == command)
    }
}
