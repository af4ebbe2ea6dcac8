import Testing
import CDQNVMe

@Test func controllerStateHeaderSuspendedBit() {
    let suspended: [UInt8] = [0x01, 0x00, 0x01, 0x00, 0xAA]
    let header = suspended.withUnsafeBytes { ControllerStateHeader(buffer: $0) }
    #expect(header?.version == 1)
    #expect(header?.attributes == 1)
    #expect(header?.isSuspended == true)

    let running: [UInt8] = [0x02, 0x01, 0xFE, 0x00]
    let other = running.withUnsafeBytes { ControllerStateHeader(buffer: $0) }
    #expect(other?.version == 0x0102)
    #expect(other?.isSuspended == false)
}

@Test func controllerStateHeaderNeedsOneDword() {
    let short: [UInt8] = [1, 0, 1]
    #expect(short.withUnsafeBytes { ControllerStateHeader(buffer: $0) } == nil)
}

@Test func controllerStateHeaderRoundTrips() {
    let header = ControllerStateHeader(version: 0xBEEF, attributes: 0x81)
    var bytes = [UInt8](repeating: 0xFF, count: 4)
    bytes.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
    #expect(bytes == [0xEF, 0xBE, 0x81, 0x00])
    #expect(bytes.withUnsafeBytes { ControllerStateHeader(buffer: $0) } == header)
}
