import CDQTestSupport
import Testing
import CDQNVMe

/// A 32-byte entry image built from cdq-protocol.md §2 by hand.
private func entryImage(nsid: UInt32, nlb: UInt32, slba: UInt64, attributes: UInt8,
                        reservedFill: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: reservedFill, count: 32)
    put(nsid, into: &bytes, at: 0)
    put(nlb, into: &bytes, at: 4)
    put(slba, into: &bytes, at: 8)
    bytes[31] = attributes
    return bytes
}

private func decode(_ bytes: [UInt8]) -> MigrationQueueEntry {
    bytes.withUnsafeBytes { MigrationQueueEntry(bytes: $0.baseAddress!) }
}

@Test func decodesAWriteRecord() {
    // A write of 8 blocks at LBA 0x1_0000_0010 in namespace 1, first lap.
    let entry = decode(entryImage(nsid: 1, nlb: 7, slba: 0x1_0000_0010, attributes: 0b0000_0001,
                                  reservedFill: 0xA5))
    #expect(entry.nsid == 1)
    #expect(entry.numberOfLogicalBlocks == 7)
    #expect(entry.startingLBA == 0x1_0000_0010)
    #expect(entry.phaseTag)
    #expect(entry.entryStatus == .middle)
    #expect(!entry.deallocated)
    #expect(entry.lbaChange == .rangeChanged)
    #expect(!entry.isMarker)
    #expect(entry.blockCount() == 8)
    #expect(entry.validate() == nil)
}

@Test(arguments: [
    (UInt8(0), EntryStatusAttribute.middle), (1, .first), (2, .lastLoggingStopped),
    (3, .lastControllerSuspended), (4, .reserved(4)), (5, .reserved(5)), (6, .reserved(6)),
    (7, .lastQueueFull),
])
func decodesEveryESA(value: UInt8, expected: EntryStatusAttribute) {
    for phase: UInt8 in [0, 1] {
        let entry = decode(entryImage(nsid: 0, nlb: 0, slba: 0, attributes: phase | value << 1 | 2 << 6))
        #expect(entry.entryStatus == expected)
        #expect(entry.entryStatus.rawValue == value)
        #expect(entry.phaseTag == (phase == 1))
        #expect(entry.lbaChange == .noLBAChange)
    }
    #expect(expected.isMarker == [1, 2, 3, 7].contains(value))
    #expect(expected.isLast == [2, 3, 7].contains(value))
}

@Test(arguments: [
    (UInt8(0), LBAChangeIndicator.rangeChanged), (1, .allLBAsChanged), (2, .noLBAChange), (3, .reserved),
])
func decodesEveryLBACIR(value: UInt8, expected: LBAChangeIndicator) {
    let entry = decode(entryImage(nsid: 4, nlb: 1, slba: 2, attributes: value << 6 | 1 << 5))
    #expect(entry.lbaChange == expected)
    #expect(entry.lbaChange.rawValue == value)
    #expect(entry.deallocated)
    #expect(entry.entryStatus == .middle)
    #expect(!entry.phaseTag)
}

@Test func blockCountConventions() {
    let write = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: 9, phaseTag: true)
    #expect(write.blockCount(convention: .specification) == 1)
    #expect(write.blockCount(convention: .tp4159Emulation) == 1)

    // QEMU's deallocation ranges are 1's based already.
    let trim = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 8, startingLBA: 9, phaseTag: true,
                                   deallocated: true)
    #expect(trim.blockCount(convention: .specification) == 9)
    #expect(trim.blockCount(convention: .tp4159Emulation) == 8)
    #expect(trim.blockCount() == 9)

    let huge = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: .max, startingLBA: 0, phaseTag: true)
    #expect(huge.blockCount() == 1 << 32)
    #expect(huge.blockCount(convention: .tp4159Emulation) == 1 << 32)
}

@Test func producerInitComposesAttributes() {
    let entry = MigrationQueueEntry(
        nsid: 2, numberOfLogicalBlocks: 3, startingLBA: 4, phaseTag: true,
        entryStatus: .lastQueueFull, deallocated: true, lbaChange: .allLBAsChanged)
    // bit 0 phase, bits 3:1 ESA 7, bit 5 deallocated, bits 7:6 LBACIR 1.
    #expect(entry.attributesByte == 0b0110_1111)
    #expect(MigrationQueueEntry.attributesByte(
        phaseTag: false, entryStatus: .first, deallocated: false, lbaChange: .noLBAChange) == 0b1000_0010)
}

@Test func markerShape() {
    let first = MigrationQueueEntry.marker(.first, phaseTag: true)
    var bytes = [UInt8](repeating: 0xFF, count: 32)
    bytes.withUnsafeMutableBytes { first.write(to: $0.baseAddress!, includingPhase: true) }
    #expect(bytes == entryImage(nsid: 0, nlb: 0, slba: 0, attributes: 1 | 1 << 1 | 2 << 6))
    #expect(first.isMarker)
    #expect(first.validate() == nil)
}

@Test func writeProducesTheSpecImage() {
    let entry = MigrationQueueEntry(nsid: 0x0102_0304, numberOfLogicalBlocks: 0x0506_0708,
                                    startingLBA: 0x1112_1314_1516_1718, attributes: 0xC3)
    var bytes = [UInt8](repeating: 0xFF, count: 32)
    bytes.withUnsafeMutableBytes { entry.write(to: $0.baseAddress!, includingPhase: true) }
    #expect(bytes == [
        0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05,
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // reserved 16-30
        0xC3,
    ])
    #expect(decode(bytes) == entry)
}

@Test func writeWithoutPhaseLeavesByte31Untouched() {
    let entry = MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 2, startingLBA: 3, phaseTag: true)
    var bytes = [UInt8](repeating: 0x5A, count: 34)
    bytes.withUnsafeMutableBytes { entry.write(to: $0.baseAddress! + 1, includingPhase: false) }
    #expect(bytes[32] == 0x5A) // byte 31 of the entry
    #expect(bytes[0] == 0x5A && bytes[33] == 0x5A) // outside the entry
    #expect(Array(bytes[17 ..< 32]) == [UInt8](repeating: 0, count: 15))
    #expect(Array(bytes[1 ..< 17]) == Array(entryImage(nsid: 1, nlb: 2, slba: 3, attributes: 0)[0 ..< 16]))
}

@Test func decodesAtUnalignedAddress() {
    var bytes = [UInt8](repeating: 0, count: 35)
    bytes.replaceSubrange(3 ..< 35, with: entryImage(nsid: 7, nlb: 8, slba: 9, attributes: 0x41))
    let entry = bytes.withUnsafeBytes { MigrationQueueEntry(bytes: $0.baseAddress! + 3) }
    #expect(entry == MigrationQueueEntry(nsid: 7, numberOfLogicalBlocks: 8, startingLBA: 9, attributes: 0x41))
}

@Test func bufferInitNeeds32Bytes() {
    let short = [UInt8](repeating: 0xFF, count: 31)
    #expect(short.withUnsafeBytes { MigrationQueueEntry(buffer: $0) } == nil)
    let long = entryImage(nsid: 5, nlb: 0, slba: 0, attributes: 1) + [0xEE]
    #expect(long.withUnsafeBytes { MigrationQueueEntry(buffer: $0) }?.nsid == 5)
}

@Test func randomEntriesDecodeTotallyAndRoundTrip() {
    let seed: UInt64 = 0xE17E_0032
    var rng = SplitMix64(seed: seed)
    var source = [UInt8](repeating: 0, count: 32)
    var output = [UInt8](repeating: 0, count: 32)
    var firstFailure: Int?
    for iteration in 0 ..< 100_000 {
        rng.fill(&source)
        let entry = decode(source)
        output.withUnsafeMutableBytes { entry.write(to: $0.baseAddress!, includingPhase: true) }
        let attributes = source[31]
        let expectedCount: UInt64 = UInt64(get(UInt32.self, from: source, at: 4)) + 1
        let problem = entry.validate()
        let ok = output[0 ..< 16] == source[0 ..< 16]
            && output[31] == attributes
            && output[16 ..< 31].allSatisfy { $0 == 0 }
            && entry.nsid == get(UInt32.self, from: source, at: 0)
            && entry.startingLBA == get(UInt64.self, from: source, at: 8)
            && entry.phaseTag == (attributes & 1 == 1)
            && entry.entryStatus.rawValue == (attributes >> 1) & 7
            && entry.deallocated == (attributes & 0x20 != 0)
            && entry.lbaChange.rawValue == attributes >> 6
            && entry.blockCount() == expectedCount
            && MigrationQueueEntry(
                nsid: entry.nsid, numberOfLogicalBlocks: entry.numberOfLogicalBlocks,
                startingLBA: entry.startingLBA, phaseTag: entry.phaseTag, entryStatus: entry.entryStatus,
                deallocated: entry.deallocated, lbaChange: entry.lbaChange
            ).attributes == attributes & ~0x10 // bit 4 is reserved
            && (problem == nil || !problem!.description.isEmpty)
        if !ok, firstFailure == nil { firstFailure = iteration }
    }
    #expect(firstFailure == nil, "seed \(seed), iteration \(firstFailure ?? -1)")
}
