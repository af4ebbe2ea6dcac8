import CDQTestSupport
import Testing
import CDQNVMe

private func decode(_ bytes: [UInt8]) -> IdentifyNamespace? {
    bytes.withUnsafeBytes { IdentifyNamespace(buffer: $0) }
}

/// LBA format dword: MS 15:0, LBADS 23:16, RP 25:24.
private func lbaFormat(ms: UInt16, lbads: UInt8, rp: UInt8 = 0) -> UInt32 {
    UInt32(ms) | UInt32(lbads) << 16 | UInt32(rp) << 24
}

@Test func decodesNamespace() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    put(UInt64(0x1_0000_0000), into: &bytes, at: 0)
    put(UInt64(0xFFFF_0000), into: &bytes, at: 8)
    put(UInt64(0x1234), into: &bytes, at: 16)
    bytes[24] = 0x10
    bytes[25] = 1 // two formats
    bytes[26] = 0x11 // format 1, metadata at end of LBA
    bytes[27] = 0x03
    bytes[29] = 0x01
    put(lbaFormat(ms: 0, lbads: 9, rp: 2), into: &bytes, at: 128)
    put(lbaFormat(ms: 8, lbads: 12, rp: 0), into: &bytes, at: 132)
    put(lbaFormat(ms: 0, lbads: 13), into: &bytes, at: 136) // beyond NLBAF: not listed
    let ns = try #require(decode(bytes))
    #expect(ns.nsze == 0x1_0000_0000)
    #expect(ns.ncap == 0xFFFF_0000)
    #expect(ns.nuse == 0x1234)
    #expect(ns.nsfeat == 0x10 && ns.mc == 0x03 && ns.dps == 0x01)
    #expect(ns.nlbaf == 1)
    #expect(ns.lbaFormats.count == 2)
    #expect(ns.lbaFormats[0].dataSize == 512)
    #expect(ns.lbaFormats[0].relativePerformance == 2)
    #expect(ns.currentFormatIndex == 1)
    #expect(ns.currentFormat == LBAFormat(metadataSize: 8, lbaDataSizeExponent: 12))
    #expect(ns.lbaDataSize == 4096)
    #expect(ns.metadataAtEndOfLBA)
}

@Test func upperFormatIndexBitsNeedMoreThan16Formats() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    bytes[26] = 0b0010_0011 // bits 3:0 = 3, bits 6:5 = 1 -> index 19 when allowed
    for i in 0 ..< 64 {
        put(lbaFormat(ms: UInt16(i), lbads: 9 + UInt8(i % 4)), into: &bytes, at: 128 + 4 * i)
    }
    bytes[25] = 15 // 16 formats: bits 6:5 ignored
    let sixteen = try #require(decode(bytes))
    #expect(sixteen.currentFormatIndex == 3)
    #expect(sixteen.currentFormat?.metadataSize == 3)

    bytes[25] = 63 // 64 formats: bits 6:5 are index bits 5:4
    let sixtyFour = try #require(decode(bytes))
    #expect(sixtyFour.lbaFormats.count == 64)
    #expect(sixtyFour.currentFormatIndex == 19)
    #expect(sixtyFour.currentFormat?.metadataSize == 19)
    #expect(sixtyFour.lbaDataSize == 1 << (9 + 19 % 4))
}

@Test func impossibleValuesGiveNil() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    bytes[25] = 0 // one format
    bytes[26] = 5 // points past the list
    put(lbaFormat(ms: 0, lbads: 9), into: &bytes, at: 128)
    #expect(try #require(decode(bytes)).currentFormat == nil)
    #expect(try #require(decode(bytes)).lbaDataSize == nil)

    bytes[26] = 0
    for lbads: UInt8 in [0, 8, 32, 64, 200, 255] {
        put(lbaFormat(ms: 0, lbads: lbads), into: &bytes, at: 128)
        #expect(try #require(decode(bytes)).lbaDataSize == nil, "LBADS \(lbads)")
    }
    put(lbaFormat(ms: 0, lbads: 31), into: &bytes, at: 128)
    #expect(try #require(decode(bytes)).lbaDataSize == 1 << 31)

    bytes[25] = 0xFF // NLBAF beyond 63 is clamped to the 64 formats that fit
    #expect(try #require(decode(bytes)).lbaFormats.count == 64)
}

@Test func namespaceShortBuffersAreRejected() {
    #expect(decode([UInt8](repeating: 0, count: 4095)) == nil)
    #expect(decode([]) == nil)
}

@Test func randomNamespaceBuffersNeverTrap() {
    let seed: UInt64 = 0x1D_05_4096
    var rng = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: 4096)
    var firstFailure: Int?
    for iteration in 0 ..< 2_000 {
        rng.fill(&bytes)
        guard let ns = decode(bytes) else {
            firstFailure = firstFailure ?? iteration
            continue
        }
        let formats = min(Int(bytes[25]) + 1, 64)
        var ok = ns.nsze == get(UInt64.self, from: bytes, at: 0)
            && ns.nuse == get(UInt64.self, from: bytes, at: 16)
            && ns.lbaFormats.count == formats
            && ns.currentFormatIndex < 64
        for (i, format) in ns.lbaFormats.enumerated() {
            ok = ok && format.rawValue == get(UInt32.self, from: bytes, at: 128 + 4 * i)
        }
        if let size = ns.lbaDataSize {
            ok = ok && size >= 512 && size.nonzeroBitCount == 1
        }
        if !ok, firstFailure == nil { firstFailure = iteration }
        let short = Int(rng.next() % 4096)
        if Array(bytes[0 ..< short]).withUnsafeBytes({ IdentifyNamespace(buffer: $0) }) != nil {
            firstFailure = firstFailure ?? iteration
        }
    }
    #expect(firstFailure == nil, "seed \(seed), iteration \(firstFailure ?? -1)")
}
