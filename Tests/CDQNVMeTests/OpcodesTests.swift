import Testing
import CDQNVMe

@Test func liveMigrationOpcodes() {
    #expect(AdminOpcode.getLogPage.rawValue == 0x02)
    #expect(AdminOpcode.identify.rawValue == 0x06)
    #expect(AdminOpcode.setFeatures.rawValue == 0x09)
    #expect(AdminOpcode.getFeatures.rawValue == 0x0A)
    #expect(AdminOpcode.trackSend.rawValue == 0x3D)
    #expect(AdminOpcode.migrationSend.rawValue == 0x41)
    #expect(AdminOpcode.migrationReceive.rawValue == 0x42)
    #expect(AdminOpcode.controllerDataQueue.rawValue == 0x45)
}

@Test func ioOpcodes() {
    #expect(IOOpcode.flush.rawValue == 0x00)
    #expect(IOOpcode.write.rawValue == 0x01)
    #expect(IOOpcode.read.rawValue == 0x02)
    #expect(IOOpcode.writeZeroes.rawValue == 0x08)
    #expect(IOOpcode.datasetManagement.rawValue == 0x09)
}

// Opcode bits 1:0 are the data direction; the spec chose opcodes so that
// they agree with what each command transfers.
@Test func opcodeDirectionsAgreeWithTheCommands() {
    func direction(_ opcode: AdminOpcode) -> DataTransfer { NVMeCommand(opcode: opcode.rawValue).dataTransfer }
    #expect(direction(.identify) == .controllerToHost)
    #expect(direction(.getLogPage) == .controllerToHost)
    #expect(direction(.getFeatures) == .controllerToHost)
    #expect(direction(.setFeatures) == .hostToController)
    #expect(direction(.migrationSend) == .hostToController)
    #expect(direction(.migrationReceive) == .controllerToHost)
    #expect(NVMeCommand(opcode: IOOpcode.read.rawValue).dataTransfer == .controllerToHost)
    #expect(NVMeCommand(opcode: IOOpcode.write.rawValue).dataTransfer == .hostToController)
    #expect(NVMeCommand(opcode: IOOpcode.datasetManagement.rawValue).dataTransfer == .hostToController)
}
