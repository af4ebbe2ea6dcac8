import CDQNVMe

/// The decoders of what a controller returns: the asynchronous event
/// result, FID 0x21 feature data, Identify Controller and Namespace, the
/// controller state header.
enum DecoderFuzz {
    static func asyncEvent(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 8 else { return }
        let result = AsyncEventResult(dw0: input.loadUnaligned(fromByteOffset: 0, as: UInt32.self),
                                      dw1: input.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        consume(result.eventType)
        consume(result.controllerDataQueueEvent?.cdqid)
        consume(result.eventType.rawValue)
    }

    static func feature(_ input: UnsafeRawBufferPointer) {
        guard let feature = CDQFeatureData(buffer: input) else { return }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(input.count, 64), alignment: 8)
        defer { copy.deallocate() }
        feature.write(to: copy)
        precondition(CDQFeatureData(buffer: UnsafeRawBufferPointer(start: copy, count: max(input.count, 64))) == feature,
                     "feature data does not round-trip")
    }

    static func identify(_ input: UnsafeRawBufferPointer) {
        if let controller = IdentifyController(buffer: input) {
            consume(controller.serialNumber + controller.modelNumber + controller.firmwareRevision)
            consume(controller.version.description)
        }
        if let namespace = IdentifyNamespace(buffer: input) {
            consume(namespace.currentFormat)
            consume(namespace.lbaDataSize)
        }
    }

    static func controllerState(_ input: UnsafeRawBufferPointer) {
        guard let header = ControllerStateHeader(buffer: input) else { return }
        consume(header.isSuspended)
    }
}
