import CDQTestSupport
import Testing
import CDQNVMe

private let everyField = NVMeCommand(
    opcode: 0x81, flags: 0x40, commandIdentifier: 0xBEEF, nsid: 0x0102_0304,
    cdw2: 0x1111_2222, cdw3: 0x3333_4444, metadataPointer: 0x0506_0708_090A_0B0C,
    prp1: 0x1112_1314_1516_1718, prp2: 0x2122_2324_2526_2728,
    cdw10: 0xA0A0_A0A0, cdw11: 0xB1B1_B1B1, cdw12: 0xC2C2_C2C2,
    cdw13: 0xD3D3_D3D3, cdw14: 0xE4E4_E4E4, cdw15: 0xF5F5_F5F5)

@Test func imagePlacesEveryFieldAtItsDword() {
    let expected = image(dwords: [
        0: 0x81 | 0x40 << 8 | 0xBEEF << 16, 1: 0x0102_0304, 2: 0x1111_2222, 3: 0x3333_4444,
        4: 0x090A_0B0C, 5: 0x0506_0708, 6: 0x1516_1718, 7: 0x1112_1314,
        8: 0x2526_2728, 9: 0x2122_2324,
        10: 0xA0A0_A0A0, 11: 0xB1B1_B1B1, 12: 0xC2C2_C2C2,
        13: 0xD3D3_D3D3, 14: 0xE4E4_E4E4, 15: 0xF5F5_F5F5,
    ])
    #expect(everyField.bytes == expected)
    #expect(everyField.bytes.count == NVMeCommand.size)
    // DW0 spelled out byte by byte: opcode, flags, CID low, CID high.
    #expect(Array(everyField.bytes[0 ..< 4]) == [0x81, 0x40, 0xEF, 0xBE])
}

@Test func imageRoundTrips() {
    #expect(NVMeCommand(bytes: everyField.bytes) == everyField)
    let zero = NVMeCommand(opcode: 0)
    #expect(NVMeCommand(bytes: zero.bytes) == zero)
    #expect(zero.bytes == [UInt8](repeating: 0, count: 64))
}

@Test(arguments: [0, 1, 63, 65, 128])
func decodingRequiresExactly64Bytes(count: Int) {
    #expect(NVMeCommand(bytes: [UInt8](repeating: 0x5A, count: count)) == nil)
}

@Test func decodesFromUnalignedImage() {
    var buffer = [UInt8](repeating: 0xFF, count: 67)
    buffer.replaceSubrange(3 ..< 67, with: everyField.bytes)
    let decoded = buffer.withUnsafeBytes { NVMeCommand(image: UnsafeRawBufferPointer(rebasing: $0[3 ..< 67])) }
    #expect(decoded == everyField)
}

@Test func writeToUnalignedDestinationTouchesOnly64Bytes() {
    var buffer = [UInt8](repeating: 0xEE, count: 66)
    buffer.withUnsafeMutableBytes { everyField.write(to: $0.baseAddress! + 1) }
    #expect(buffer.first == 0xEE && buffer.last == 0xEE)
    #expect(Array(buffer[1 ..< 65]) == everyField.bytes)
}

@Test func dwordAccessorMatchesImage() {
    let bytes = everyField.bytes
    for index in 0 ..< 16 {
        #expect(everyField.dword(index) == get(UInt32.self, from: bytes, at: 4 * index))
    }
    #expect(everyField.dword(16) == nil)
    #expect(everyField.dword(-1) == nil)
}

@Test func dataTransferComesFromOpcodeBits() {
    #expect(NVMeCommand(opcode: 0x00).dataTransfer == .none)
    #expect(NVMeCommand(opcode: 0x01).dataTransfer == .hostToController)
    #expect(NVMeCommand(opcode: 0x02).dataTransfer == .controllerToHost)
    #expect(NVMeCommand(opcode: 0x03).dataTransfer == .bidirectional)
    #expect(NVMeCommand(opcode: 0xFC).dataTransfer == .none)
    #expect(NVMeCommand(opcode: 0x7F).dataTransfer == .bidirectional)
}

@Test func randomImagesRoundTrip() {
    let seed: UInt64 = 0xC0DE_0064
    var rng = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: 64)
    var firstFailure: Int?
    for iteration in 0 ..< 10_000 {
        rng.fill(&bytes)
        guard let command = NVMeCommand(bytes: bytes), command.bytes == bytes else {
            firstFailure = firstFailure ?? iteration
            continue
        }
    }
    #expect(firstFailure == nil, "seed \(seed), iteration \(firstFailure ?? -1)")
}
