import Testing
import CDQNVMe

@Test func loadsLittleEndianAtUnalignedOffsets() {
    let bytes: [UInt8] = [0xAA, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xBB]
    bytes.withUnsafeBytes { buffer in
        let base = buffer.baseAddress!
        #expect(LittleEndian.load(UInt16.self, from: base, offset: 1) == 0x0201)
        #expect(LittleEndian.load(UInt32.self, from: base, offset: 1) == 0x0403_0201)
        #expect(LittleEndian.load(UInt64.self, from: base, offset: 1) == 0x0807_0605_0403_0201)
        #expect(LittleEndian.load(UInt8.self, from: base, offset: 9) == 0xBB)
    }
}

@Test func storesLittleEndianAtUnalignedOffsets() {
    var bytes = [UInt8](repeating: 0, count: 11)
    bytes.withUnsafeMutableBytes { buffer in
        LittleEndian.store(UInt64(0x0807_0605_0403_0201), to: buffer.baseAddress!, offset: 3)
    }
    #expect(bytes == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    bytes.withUnsafeMutableBytes { buffer in
        LittleEndian.store(UInt16(0xBEEF), to: buffer.baseAddress!, offset: 1)
    }
    #expect(bytes[1 ..< 3] == [0xEF, 0xBE])
}

@Test func checkedLoadRefusesShortBuffers() {
    let bytes: [UInt8] = [1, 2, 3, 4, 5]
    bytes.withUnsafeBytes { buffer in
        #expect(LittleEndian.load(UInt32.self, from: buffer, offset: 1) == 0x0504_0302)
        #expect(LittleEndian.load(UInt32.self, from: buffer, offset: 2) == nil)
        #expect(LittleEndian.load(UInt64.self, from: buffer, offset: 0) == nil)
        #expect(LittleEndian.load(UInt8.self, from: buffer, offset: -1) == nil)
        #expect(LittleEndian.load(UInt8.self, from: buffer, offset: Int.max) == nil)
    }
    [UInt8]().withUnsafeBytes { empty in
        #expect(LittleEndian.load(UInt8.self, from: empty, offset: 0) == nil)
    }
}
