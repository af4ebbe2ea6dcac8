import Testing
import CDQNVMe

@Test func dsmRangeLayout() {
    let range = DSMRange(contextAttributes: 0x0A0B_0C0D, lengthInLogicalBlocks: 0x100, startingLBA: 0x0102_0304_0506_0708)
    var bytes = [UInt8](repeating: 0xEE, count: 17)
    bytes.withUnsafeMutableBytes { range.write(to: $0.baseAddress!) }
    #expect(bytes == [
        0x0D, 0x0C, 0x0B, 0x0A, // context attributes
        0x00, 0x01, 0x00, 0x00, // length, 1's based
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // SLBA
        0xEE,
    ])
    #expect(bytes.withUnsafeBytes { DSMRange(buffer: $0) } == range)
}

@Test func dsmRangeNeeds16Bytes() {
    let short = [UInt8](repeating: 1, count: 15)
    #expect(short.withUnsafeBytes { DSMRange(buffer: $0) } == nil)
    let exact = [UInt8](repeating: 1, count: 16)
    #expect(exact.withUnsafeBytes { DSMRange(buffer: $0) }?.lengthInLogicalBlocks == 0x0101_0101)
}
