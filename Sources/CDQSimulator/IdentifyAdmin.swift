import CDQNVMe

/// Identify Controller and Identify Namespace, so tools (`cdqctl identify
/// --simulate`) see the simulator the way they see a real controller.
extension SimulatedSubsystem {
    /// PCI vendor id 0xFFFF is "no vendor": the simulator claims no one's id.
    public static let vendorID: UInt16 = 0xFFFF
    public static let modelNumber = "cdq-engine simulated controller"

    func identify(_ request: AdminRequest) -> AdminCompletion {
        guard let data = request.data, let base = data.baseAddress, data.count >= 4096 else {
            return .reject(.invalidFieldInCommand)
        }
        let page = UnsafeMutableRawBufferPointer(start: base, count: 4096)
        page.initializeMemory(as: UInt8.self, repeating: 0)
        switch request.command.cdw10 & 0xFF {
        case 1:
            writeIdentifyController(into: base)
            return .success
        case 0:
            let nsid = request.command.nsid
            guard nsid <= UInt32(UInt16.max), let namespace = controller(UInt16(nsid))?.namespace(nsid) else {
                return .reject(.invalidNamespaceOrFormat)
            }
            writeIdentifyNamespace(namespace, into: base)
            return .success
        default:
            return .reject(.invalidFieldInCommand)
        }
    }

    private func writeIdentifyController(into base: UnsafeMutableRawPointer) {
        LittleEndian.store(Self.vendorID, to: base, offset: 0)
        LittleEndian.store(Self.vendorID, to: base, offset: 2)
        writeASCII(configuration.serialNumber, into: base + 4, width: 20)
        writeASCII(Self.modelNumber, into: base + 24, width: 40)
        writeASCII("sim1", into: base + 64, width: 8)
        LittleEndian.store(UInt16(0), to: base, offset: 78) // CNTLID of the managing controller
        LittleEndian.store(UInt32(0x0002_0100), to: base, offset: 80) // NVMe 2.1.0
        LittleEndian.store(UInt32(controllers.count), to: base, offset: 516) // NN
    }

    private func writeIdentifyNamespace(_ namespace: SimulatedNamespace, into base: UnsafeMutableRawPointer) {
        LittleEndian.store(namespace.capacity, to: base, offset: 0) // NSZE
        LittleEndian.store(namespace.capacity, to: base, offset: 8) // NCAP
        LittleEndian.store(namespace.capacity, to: base, offset: 16) // NUSE
        // One LBA format (NLBAF 0's based = 0, FLBAS 0): LBADS = log2(LBA size).
        let lbads = UInt32(namespace.lbaSize.trailingZeroBitCount)
        LittleEndian.store(lbads << 16, to: base, offset: 128)
    }

    /// Space-padded ASCII, as Identify's string fields are.
    private func writeASCII(_ text: String, into base: UnsafeMutableRawPointer, width: Int) {
        let bytes = Array(text.utf8.prefix(width))
        for i in 0..<width { base.storeBytes(of: i < bytes.count ? bytes[i] : 0x20, toByteOffset: i, as: UInt8.self) }
    }
}
