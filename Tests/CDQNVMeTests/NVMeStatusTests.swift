import CDQTestSupport
import Testing
import CDQNVMe

@Test func invalidOpcodeWithDNRFromUring() {
    // cdq-protocol.md §1: Invalid Opcode with DNR is 0x4001.
    let status = NVMeStatus(rawValue: 0x4001)
    #expect(status.codeType == .generic)
    #expect(status.code == 0x01)
    #expect(status.doNotRetry)
    #expect(!status.more)
    #expect(status.commandRetryDelay == 0)
    #expect(!status.isSuccess)
    #expect(status.matches(.invalidCommandOpcode))
    #expect(status != .invalidCommandOpcode)
    #expect(status == NVMeStatus.invalidCommandOpcode.withDoNotRetry())
    #expect(status.description == "Invalid Command Opcode (SCT 0, SC 0x01, DNR)")
}

@Test func unknownCDQIDFromQEMU() {
    // cdq-protocol.md §1: an unknown CDQID from QEMU is 0x4137.
    let status = NVMeStatus(rawValue: 0x4137)
    #expect(status.codeType == .commandSpecific)
    #expect(status.code == 0x37)
    #expect(status.doNotRetry)
    #expect(status.matches(.invalidControllerDataQueue))
    #expect(status.name == "Invalid Controller Data Queue")
    #expect(status.description == "Invalid Controller Data Queue (SCT 1, SC 0x37, DNR)")
}

@Test func success() {
    #expect(NVMeStatus(rawValue: 0).isSuccess)
    #expect(NVMeStatus.success.rawValue == 0)
    #expect(NVMeStatus.success.description == "Successful Completion (SCT 0, SC 0x00)")
    // More set on a success still is a success.
    #expect(NVMeStatus(rawValue: 1 << 13).isSuccess)
    #expect(!NVMeStatus(rawValue: 0x0100).isSuccess) // SCT 1, SC 0
}

@Test func allFieldsDecode() {
    // SC 0x81, SCT 2, CRD 3, More, DNR.
    let raw: UInt16 = 0x81 | 2 << 8 | 3 << 11 | 1 << 13 | 1 << 14
    let status = NVMeStatus(rawValue: raw)
    #expect(status.code == 0x81)
    #expect(status.codeType == .mediaAndDataIntegrity)
    #expect(status.commandRetryDelay == 3)
    #expect(status.more && status.doNotRetry)
    #expect(status.description == "Unrecovered Read Error (SCT 2, SC 0x81, CRD 3, More, DNR)")
    #expect(NVMeStatus(codeType: .mediaAndDataIntegrity, code: 0x81, doNotRetry: true, more: true,
                       commandRetryDelay: 3) == status)
}

@Test func bit15IsNotPartOfTheField() {
    #expect(NVMeStatus(rawValue: 0x8002).rawValue == 0x0002)
    #expect(NVMeStatus(rawValue: 0x8002) == .invalidFieldInCommand)
}

@Test func completionDW3SkipsPhaseAndCommandID() {
    // DW3: bits 15:0 CID, bit 16 phase, bits 31:17 status.
    let status: UInt32 = 0x4137
    for phase: UInt32 in [0, 1] {
        let dw3 = status << 17 | phase << 16 | 0xBEEF
        #expect(NVMeStatus(completionDW3: dw3).rawValue == 0x4137)
    }
    #expect(NVMeStatus(completionDW3: 0x0001_FFFF).isSuccess)
    #expect(NVMeStatus(completionDW3: 0x0002_0000) == .invalidCommandOpcode)
    #expect(NVMeStatus(completionDW3: 0xFFFF_FFFF).rawValue == 0x7FFF)
}

@Test func unknownCodes() {
    let unknown = NVMeStatus(rawValue: 0x0199)
    #expect(unknown.name == nil)
    #expect(unknown.description == "Unknown status (SCT 1, SC 0x99)")
    let vendor = NVMeStatus(codeType: .vendorSpecific, code: 0xC0, doNotRetry: true)
    #expect(vendor.rawValue == 0x47C0)
    #expect(vendor.description == "Unknown status (SCT 7, SC 0xC0, DNR)")
    let reserved = NVMeStatus(rawValue: 0x0501)
    #expect(reserved.codeType == .reserved(5))
    #expect(reserved.description == "Unknown status (SCT 5, SC 0x01)")
}

@Test func statusCodeTypeValues() {
    #expect((0 ... 7).map { StatusCodeType(rawValue: $0) } == [
        .generic, .commandSpecific, .mediaAndDataIntegrity, .path,
        .reserved(4), .reserved(5), .reserved(6), .vendorSpecific,
    ])
    for value: UInt8 in 0 ... 7 {
        #expect(StatusCodeType(rawValue: value).rawValue == value)
    }
    #expect(StatusCodeType(rawValue: 0xF9) == .commandSpecific)
}

@Test func matchesIgnoresOnlyRetryBits() {
    let base = NVMeStatus.lbaOutOfRange
    #expect(NVMeStatus(rawValue: base.rawValue | 0x7800).matches(base))
    #expect(!NVMeStatus.capacityExceeded.matches(base))
    // Same SC, different SCT.
    #expect(!NVMeStatus.invalidQueueIdentifier.matches(.invalidCommandOpcode))
    #expect(NVMeStatus.invalidCommandOpcode.withDoNotRetry().withDoNotRetry(false) == .invalidCommandOpcode)
}

@Test func crdIsTwoBits() async {
    await #expect(processExitsWith: .failure) {
        _ = NVMeStatus(codeType: .generic, code: 0, commandRetryDelay: 4)
    }
}

/// Every named status, with the description written out from the spec.
private let namedStatuses: [(NVMeStatus, String)] = [
    (.success, "Successful Completion (SCT 0, SC 0x00)"),
    (.invalidCommandOpcode, "Invalid Command Opcode (SCT 0, SC 0x01)"),
    (.invalidFieldInCommand, "Invalid Field in Command (SCT 0, SC 0x02)"),
    (.commandIDConflict, "Command ID Conflict (SCT 0, SC 0x03)"),
    (.dataTransferError, "Data Transfer Error (SCT 0, SC 0x04)"),
    (.internalError, "Internal Error (SCT 0, SC 0x06)"),
    (.commandAbortRequested, "Command Abort Requested (SCT 0, SC 0x07)"),
    (.invalidNamespaceOrFormat, "Invalid Namespace or Format (SCT 0, SC 0x0B)"),
    (.commandSequenceError, "Command Sequence Error (SCT 0, SC 0x0C)"),
    (.lbaOutOfRange, "LBA Out of Range (SCT 0, SC 0x80)"),
    (.capacityExceeded, "Capacity Exceeded (SCT 0, SC 0x81)"),
    (.namespaceNotReady, "Namespace Not Ready (SCT 0, SC 0x82)"),
    (.completionQueueInvalid, "Completion Queue Invalid (SCT 1, SC 0x00)"),
    (.invalidQueueIdentifier, "Invalid Queue Identifier (SCT 1, SC 0x01)"),
    (.invalidQueueSize, "Invalid Queue Size (SCT 1, SC 0x02)"),
    (.invalidLogPage, "Invalid Log Page (SCT 1, SC 0x09)"),
    (.featureIdentifierNotSaveable, "Feature Identifier Not Saveable (SCT 1, SC 0x0D)"),
    (.featureNotChangeable, "Feature Not Changeable (SCT 1, SC 0x0E)"),
    (.featureNotNamespaceSpecific, "Feature Not Namespace Specific (SCT 1, SC 0x0F)"),
    (.invalidControllerIdentifier, "Invalid Controller Identifier (SCT 1, SC 0x1F)"),
    (.invalidControllerDataQueue, "Invalid Controller Data Queue (SCT 1, SC 0x37)"),
    (.notEnoughResources, "Not Enough Resources (SCT 1, SC 0x38)"),
    (.controllerSuspended, "Controller Suspended (SCT 1, SC 0x39)"),
    (.controllerNotSuspended, "Controller Not Suspended (SCT 1, SC 0x3A)"),
    (.controllerDataQueueFull, "Controller Data Queue Full (SCT 1, SC 0x3B)"),
]

@Test(arguments: namedStatuses)
func namedStatusDescription(status: NVMeStatus, description: String) {
    #expect(status.description == description)
    #expect(!status.doNotRetry && !status.more && status.commandRetryDelay == 0)
    #expect(status.withDoNotRetry().description == description.dropLast() + ", DNR)")
}

@Test func namedStatusesAreDistinct() {
    #expect(Set(namedStatuses.map(\.0)).count == namedStatuses.count)
}

@Test func randomStatusesDecodeConsistently() {
    let seed: UInt64 = 0x5747_0015
    var rng = SplitMix64(seed: seed)
    var firstFailure: UInt16?
    for _ in 0 ..< 100_000 {
        let raw = UInt16(truncatingIfNeeded: rng.next())
        let status = NVMeStatus(rawValue: raw)
        let field = raw & 0x7FFF
        let recomposed = NVMeStatus(
            codeType: status.codeType, code: status.code, doNotRetry: status.doNotRetry,
            more: status.more, commandRetryDelay: status.commandRetryDelay)
        let ok = status.rawValue == field
            && status.code == UInt8(field & 0xFF)
            && status.codeType.rawValue == UInt8(field >> 8 & 0x7)
            && status.commandRetryDelay == UInt8(field >> 11 & 0x3)
            && status.more == (field & 0x2000 != 0)
            && status.doNotRetry == (field & 0x4000 != 0)
            && recomposed == status
            && status.matches(NVMeStatus(rawValue: field & 0x07FF))
            && NVMeStatus(completionDW3: UInt32(raw) << 17 | 0x1_FFFF) == status
            && status.description.hasSuffix(")")
        if !ok, firstFailure == nil { firstFailure = raw }
    }
    #expect(firstFailure == nil, "seed \(seed), raw \(firstFailure.map { String($0, radix: 16) } ?? "-")")
}
