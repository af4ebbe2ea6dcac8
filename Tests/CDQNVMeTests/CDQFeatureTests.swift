import Testing
import CDQNVMe

@Test func cdqFeatureDataDecodes() {
    var bytes = [UInt8](repeating: 0, count: 8)
    put(UInt32(17), into: &bytes, at: 0)
    put(UInt32(0x0001_0000), into: &bytes, at: 4)
    let data = bytes.withUnsafeBytes { CDQFeatureData(buffer: $0) }
    #expect(data == CDQFeatureData(head: 17, tailPointerTrigger: 0x0001_0000))
}

@Test func cdqFeatureDataNeedsEightBytes() {
    let short = [UInt8](repeating: 0xFF, count: 7)
    #expect(short.withUnsafeBytes { CDQFeatureData(buffer: $0) } == nil)
}

@Test func cdqFeatureDataWritesItsImage() {
    var bytes = [UInt8](repeating: 0xEE, count: 9)
    bytes.withUnsafeMutableBytes {
        CDQFeatureData(head: 0x0403_0201, tailPointerTrigger: 0x0807_0605).write(to: $0.baseAddress!)
    }
    #expect(bytes == [1, 2, 3, 4, 5, 6, 7, 8, 0xEE])
}
