import CDQNVMe

extension ControllerIdentity {
    /// Identify Controller on `device` over a passthrough ring of its own:
    /// the serial number and CNTLID a queue record is tied to.
    public static func identify(_ device: NVMeCharacterDevice) throws(PassthroughError) -> ControllerIdentity {
        let passthrough = try NVMePassthrough(device: device, depth: 1)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        _ = try passthrough.execute(.identify(.controller), data: buffer)
        guard let identify = IdentifyController(buffer: UnsafeRawBufferPointer(buffer)) else {
            throw .dataBuffer("Identify Controller returned no data")
        }
        return ControllerIdentity(serial: identify.serialNumber, cntlid: identify.controllerID)
    }
}
