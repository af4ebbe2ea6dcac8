import CDQTestSupport
import Testing
import CDQNVMe

@Test func decodesDW0Fields() {
    // Type 2 (notice), information 0x00 (namespace attribute changed), LID 0x04.
    let event = AsyncEventResult(dw0: 0x0004_0002)
    #expect(event.eventType == .notice)
    #expect(event.eventInformation == 0x00)
    #expect(event.logPageIdentifier == 0x04)
    #expect(event.eventParameter == 0)
    #expect(event.controllerDataQueueEvent == nil)

    let smart = AsyncEventResult(dw0: 0xFF02_0101, dw1: 0xDEAD_BEEF)
    #expect(smart.eventType == .smartHealth)
    #expect(smart.eventInformation == 0x01)
    #expect(smart.logPageIdentifier == 0x02)
    #expect(smart.eventParameter == 0xDEAD_BEEF)
}

@Test func tailPointerTriggerEvent() {
    // cdq-protocol.md §3: type 4, subtype 0, DW1 = CDQID.
    let event = AsyncEventResult(dw0: 4 | 0 << 8, dw1: 0x0000_0007)
    #expect(event.eventType == .controllerDataQueue)
    #expect(event.controllerDataQueueEvent == .tailPointerTrigger(cdqid: 7))
    #expect(event.controllerDataQueueEvent?.cdqid == 7)
}

@Test func queueFullEvent() {
    // Subtype 1; only the low 16 bits of DW1 are the CDQID.
    let event = AsyncEventResult(dw0: 4 | 1 << 8, dw1: 0xFFFF_0102)
    #expect(event.controllerDataQueueEvent == .queueFull(cdqid: 0x0102))
    #expect(event.controllerDataQueueEvent?.cdqid == 0x0102)
}

@Test func unknownCDQSubtypeIsNil() {
    #expect(AsyncEventResult(dw0: 4 | 2 << 8, dw1: 1).controllerDataQueueEvent == nil)
    // Subtype 0 of another type is not a CDQ event.
    #expect(AsyncEventResult(dw0: 0, dw1: 1).controllerDataQueueEvent == nil)
}

@Test func everyEventType() {
    let expected: [AsyncEventType] = [
        .error, .smartHealth, .notice, .immediate, .controllerDataQueue,
        .reserved(5), .ioCommandSetSpecific, .vendorSpecific,
    ]
    for value in 0 ..< 8 {
        // Bits 7:3 are reserved and must not leak into the type.
        let type = AsyncEventResult(dw0: UInt32(value) | 0xF8).eventType
        #expect(type == expected[value])
        #expect(type.rawValue == UInt8(value))
    }
}

@Test func randomEventsDecodeConsistently() {
    let seed: UInt64 = 0xAE4_0004
    var rng = SplitMix64(seed: seed)
    var firstFailure: (UInt32, UInt32)?
    for _ in 0 ..< 100_000 {
        let dw0 = UInt32(truncatingIfNeeded: rng.next())
        let dw1 = UInt32(truncatingIfNeeded: rng.next())
        let event = AsyncEventResult(dw0: dw0, dw1: dw1)
        let recomposed = UInt32(event.eventType.rawValue)
            | UInt32(event.eventInformation) << 8
            | UInt32(event.logPageIdentifier) << 16
        var ok = recomposed == dw0 & 0x00FF_FF07 && event.eventParameter == dw1
        if let cdq = event.controllerDataQueueEvent {
            ok = ok && dw0 & 7 == 4 && dw0 >> 8 & 0xFF <= 1 && cdq.cdqid == UInt16(truncatingIfNeeded: dw1)
        } else {
            ok = ok && !(dw0 & 7 == 4 && dw0 >> 8 & 0xFF <= 1)
        }
        if !ok, firstFailure == nil { firstFailure = (dw0, dw1) }
    }
    #expect(firstFailure == nil, "seed \(seed), dwords \(String(describing: firstFailure))")
}
