import Testing
import CDQNVMe

@Test func genericNames() {
    #expect(NVMeStatus.name(codeType: .generic, code: 0x05) == "Commands Aborted due to Power Loss Notification")
    #expect(NVMeStatus.name(codeType: .generic, code: 0x08) == "Command Aborted due to SQ Deletion")
    #expect(NVMeStatus.name(codeType: .generic, code: 0x83) == "Reservation Conflict")
    #expect(NVMeStatus.name(codeType: .generic, code: 0x17) == nil) // reserved
    #expect(NVMeStatus.name(codeType: .generic, code: 0xFF) == nil)
}

@Test func commandSpecificNamesDependOnSCT() {
    // SC 0x02 means different things under SCT 0 and SCT 1.
    #expect(NVMeStatus.name(codeType: .generic, code: 0x02) == "Invalid Field in Command")
    #expect(NVMeStatus.name(codeType: .commandSpecific, code: 0x02) == "Invalid Queue Size")
    #expect(NVMeStatus.name(codeType: .commandSpecific, code: 0x04) == nil) // reserved
    #expect(NVMeStatus.name(codeType: .commandSpecific, code: 0x80) == "Conflicting Attributes")
}

@Test func mediaAndPathNames() {
    #expect(NVMeStatus.name(codeType: .mediaAndDataIntegrity, code: 0x80) == "Write Fault")
    #expect(NVMeStatus.name(codeType: .mediaAndDataIntegrity, code: 0x87) == "Deallocated or Unwritten Logical Block")
    #expect(NVMeStatus.name(codeType: .mediaAndDataIntegrity, code: 0x00) == nil)
    #expect(NVMeStatus.name(codeType: .path, code: 0x00) == "Internal Path Error")
    #expect(NVMeStatus.name(codeType: .path, code: 0x71) == "Command Aborted By Host")
}

@Test func vendorAndReservedHaveNoNames() {
    for code: UInt8 in [0x00, 0x01, 0x80] {
        #expect(NVMeStatus.name(codeType: .vendorSpecific, code: code) == nil)
        #expect(NVMeStatus.name(codeType: .reserved(4), code: code) == nil)
    }
}
