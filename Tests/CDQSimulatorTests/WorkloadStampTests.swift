import CDQSimulator
import Testing

@Suite struct WorkloadStampTests {
    @Test func layoutIsLBAThenSequenceLittleEndian() {
        let stamp = WorkloadStamp(lba: 0x0102_0304_0506_0708, sequence: 0x1112_1314_1516_1718)
        var bytes = [UInt8](repeating: 0xEE, count: 17)
        bytes.withUnsafeMutableBytes { stamp.write(to: $0.baseAddress!) }
        #expect(bytes == [
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // LBA
            0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, // sequence
            0xEE,
        ])
        #expect(bytes.withUnsafeBytes { WorkloadStamp(block: $0) } == stamp)
    }

    @Test func aStampNeedsSixteenBytes() {
        let short = [UInt8](repeating: 1, count: 15)
        #expect(short.withUnsafeBytes { WorkloadStamp(block: $0) } == nil)
        let zero = [UInt8](repeating: 0, count: 512)
        #expect(zero.withUnsafeBytes { WorkloadStamp(block: $0) } == WorkloadStamp(lba: 0, sequence: 0))
    }

    @Test func everyBlockOfAnOperationIsStampedAndOnlyItsStamp() {
        let lbaSize = 512
        var buffer = [UInt8](repeating: 0xEE, count: 4 * lbaSize)
        let operation = WorkloadOperation(kind: .write, startingLBA: 100, blockCount: 3, sequence: 7)
        buffer.withUnsafeMutableBytes { WorkloadStamp.stamp($0.baseAddress!, for: operation, lbaSize: lbaSize) }
        for block in 0 ..< 3 {
            let bytes = Array(buffer[block * lbaSize ..< (block + 1) * lbaSize])
            #expect(bytes.withUnsafeBytes { WorkloadStamp(block: $0) } == WorkloadStamp(lba: 100 + UInt64(block), sequence: 7))
            #expect(bytes[WorkloadStamp.size...].allSatisfy { $0 == 0xEE })
        }
        #expect(buffer[(3 * lbaSize)...].allSatisfy { $0 == 0xEE }, "nothing past blockCount blocks")
    }
}
