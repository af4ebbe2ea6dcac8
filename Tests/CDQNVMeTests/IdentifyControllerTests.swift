import CDQTestSupport
import Testing
import CDQNVMe

private func text(_ string: String, into bytes: inout [UInt8], at offset: Int, width: Int) {
    let ascii = Array(string.utf8)
    for i in 0 ..< width { bytes[offset + i] = i < ascii.count ? ascii[i] : 0x20 }
}

private func decode(_ bytes: [UInt8]) -> IdentifyController? {
    bytes.withUnsafeBytes { IdentifyController(buffer: $0) }
}

@Test func decodesController() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    put(UInt16(0x1B36), into: &bytes, at: 0)
    put(UInt16(0x1AF4), into: &bytes, at: 2)
    text("deadbeef", into: &bytes, at: 4, width: 20)
    text("QEMU NVMe Ctrl", into: &bytes, at: 24, width: 40)
    text("9.0.0", into: &bytes, at: 64, width: 8)
    bytes[77] = 7
    put(UInt16(0x0102), into: &bytes, at: 78)
    put(UInt32(0x0002_0100), into: &bytes, at: 80)
    put(UInt16(0x000A), into: &bytes, at: 256)
    put(UInt32(256), into: &bytes, at: 516)
    put(UInt16(0x015F), into: &bytes, at: 520)
    bytes[525] = 1
    let id = try #require(decode(bytes))
    #expect(id.vid == 0x1B36)
    #expect(id.ssvid == 0x1AF4)
    #expect(id.serialNumber == "deadbeef")
    #expect(id.modelNumber == "QEMU NVMe Ctrl")
    #expect(id.firmwareRevision == "9.0.0")
    #expect(id.mdts == 7)
    #expect(id.controllerID == 0x0102)
    #expect(id.version == NVMeVersion(major: 2, minor: 1, tertiary: 0))
    #expect(id.version.description == "2.1.0")
    #expect(id.oacs == 0x000A)
    #expect(id.supportsNamespaceManagement)
    #expect(id.numberOfNamespaces == 256)
    #expect(id.oncs == 0x015F)
    #expect(id.vwc == 1)
}

@Test func versionFields() {
    let version = NVMeVersion(rawValue: 0x0001_0403)
    #expect(version.major == 1 && version.minor == 4 && version.tertiary == 3)
    #expect(version < NVMeVersion(major: 2, minor: 0))
    #expect(NVMeVersion(major: 2, minor: 1, tertiary: 5).rawValue == 0x0002_0105)
}

@Test func textFieldsTrimPaddingAndReplaceNonASCII() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    // Leading spaces, an inner space, NUL padding.
    let serial: [UInt8] = Array("  AB C".utf8) + [0, 0]
    bytes.replaceSubrange(4 ..< 12, with: serial)
    // UTF-8 "é" (0xC3 0xA9), a control byte and DEL, then space padding.
    let model: [UInt8] = [0x41, 0xC3, 0xA9, 0x07, 0x7F, 0x42] + [UInt8](repeating: 0x20, count: 34)
    bytes.replaceSubrange(24 ..< 64, with: model)
    let id = try #require(decode(bytes))
    #expect(id.serialNumber == "AB C")
    #expect(id.modelNumber == "A????B")
    #expect(id.firmwareRevision == "")
}

@Test func shortBuffersAreRejected() {
    #expect(decode([UInt8](repeating: 0x20, count: 4095)) == nil)
    #expect(decode([]) == nil)
    #expect(decode([UInt8](repeating: 0x20, count: 4097)) != nil)
}

@Test func randomBuffersNeverTrap() {
    let seed: UInt64 = 0x1D_C0_4096
    var rng = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: 4096)
    var firstFailure: Int?
    for iteration in 0 ..< 500 {
        rng.fill(&bytes)
        guard let id = decode(bytes) else {
            firstFailure = firstFailure ?? iteration
            continue
        }
        let ok = id.vid == get(UInt16.self, from: bytes, at: 0)
            && id.controllerID == get(UInt16.self, from: bytes, at: 78)
            && id.version.rawValue == get(UInt32.self, from: bytes, at: 80)
            && id.numberOfNamespaces == get(UInt32.self, from: bytes, at: 516)
            && id.serialNumber.utf8.count <= 20
            && id.modelNumber.utf8.count <= 40
            && id.firmwareRevision.utf8.count <= 8
            && id.modelNumber.utf8.allSatisfy { (0x20 ... 0x7E).contains($0) }
        if !ok, firstFailure == nil { firstFailure = iteration }
        // Every shorter prefix is refused.
        let short = Int(rng.next() % 4096)
        if Array(bytes[0 ..< short]).withUnsafeBytes({ IdentifyController(buffer: $0) }) != nil {
            firstFailure = firstFailure ?? iteration
        }
    }
    #expect(firstFailure == nil, "seed \(seed), iteration \(firstFailure ?? -1)")
}
