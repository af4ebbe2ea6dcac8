@testable import CDQEngine
import Testing

/// The record as the drain writes it: the entry's words and one word of
/// fields (`CDQRecord.Tail`) make the same 40 bytes as the initializer.
@Suite struct CDQRecordTests {
    @Test func theFieldsFillTheWordAfterTheEntry() {
        #expect(MemoryLayout<CDQRecord>.offset(of: \.raw) == 0)
        #expect(CDQRecord.Tail.offset == 32)
        #expect(MemoryLayout<CDQRecord>.size == CDQRecord.Tail.offset + MemoryLayout<UInt64>.size)
    }

    @Test(arguments: [CDQRecord.Kind.entry, .overflow, .problem, .queueLost])
    func aTailStoresTheRecordItsFieldsMake(kind: CDQRecord.Kind) {
        let raw: (UInt64, UInt64, UInt64, UInt64) = (0x0102_0304_0506_0708, 0x1112_1314_1516_1718, 0x2122_2324_2526_2728, 0x3132_3334_3536_3738)
        var stored = CDQRecord(raw: (0, 0, 0, 0), queue: 0, cdqid: 0, kind: .entry)
        CDQRecord.Tail(queue: 0xA1B2_C3D4, cdqid: 0xE5F6, kind: kind, detail: 0x7F).store(raw, at: &stored)
        let made = CDQRecord(raw: raw, queue: 0xA1B2_C3D4, cdqid: 0xE5F6, kind: kind, detail: 0x7F)
        #expect(withUnsafeBytes(of: stored) { Array($0) } == withUnsafeBytes(of: made) { Array($0) })
    }
}
