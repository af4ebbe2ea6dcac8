/// The fields this project reads from the 4096-byte Identify Controller
/// data structure (Identify, CNS 01h).
///
/// Decoding never traps on device data: text fields with non-ASCII bytes
/// decode with `?` in their place. Not a hot path; it allocates strings.
public struct IdentifyController: Sendable, Hashable {
    /// Size of the Identify Controller data structure.
    public static let size = 4096

    /// VID: PCI vendor ID (bytes 0-1).
    public var vid: UInt16
    /// SSVID: PCI subsystem vendor ID (bytes 2-3).
    public var ssvid: UInt16
    /// SN: serial number (bytes 4-23), padding removed.
    public var serialNumber: String
    /// MN: model number (bytes 24-63), padding removed.
    public var modelNumber: String
    /// FR: firmware revision (bytes 64-71), padding removed.
    public var firmwareRevision: String
    /// MDTS: maximum data transfer size as a power of two in units of the
    /// minimum memory page size; 0 = no limit (byte 77).
    public var mdts: UInt8
    /// CNTLID: this controller's identifier in the subsystem (bytes 78-79).
    public var controllerID: UInt16
    /// VER: specification version the controller complies with
    /// (bytes 80-83).
    public var version: NVMeVersion
    /// OACS: optional admin commands supported (bytes 256-257).
    public var oacs: UInt16
    /// NN: maximum valid NSID (bytes 516-519).
    public var numberOfNamespaces: UInt32
    /// ONCS: optional NVM commands supported (bytes 520-521).
    public var oncs: UInt16
    /// VWC: volatile write cache (byte 525); bit 0 = present.
    public var vwc: UInt8

    public init(
        vid: UInt16, ssvid: UInt16, serialNumber: String, modelNumber: String,
        firmwareRevision: String, mdts: UInt8, controllerID: UInt16, version: NVMeVersion,
        oacs: UInt16, numberOfNamespaces: UInt32, oncs: UInt16, vwc: UInt8
    ) {
        self.vid = vid
        self.ssvid = ssvid
        self.serialNumber = serialNumber
        self.modelNumber = modelNumber
        self.firmwareRevision = firmwareRevision
        self.mdts = mdts
        self.controllerID = controllerID
        self.version = version
        self.oacs = oacs
        self.numberOfNamespaces = numberOfNamespaces
        self.oncs = oncs
        self.vwc = vwc
    }

    /// Decodes the data structure; `nil` if `buffer` holds fewer than 4096
    /// bytes.
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size, let p = buffer.baseAddress else { return nil }
        self.init(
            vid: LittleEndian.load(UInt16.self, from: p, offset: 0),
            ssvid: LittleEndian.load(UInt16.self, from: p, offset: 2),
            serialNumber: IdentifyText.decode(buffer, offset: 4, count: 20),
            modelNumber: IdentifyText.decode(buffer, offset: 24, count: 40),
            firmwareRevision: IdentifyText.decode(buffer, offset: 64, count: 8),
            mdts: p.load(fromByteOffset: 77, as: UInt8.self),
            controllerID: LittleEndian.load(UInt16.self, from: p, offset: 78),
            version: NVMeVersion(rawValue: LittleEndian.load(UInt32.self, from: p, offset: 80)),
            oacs: LittleEndian.load(UInt16.self, from: p, offset: 256),
            numberOfNamespaces: LittleEndian.load(UInt32.self, from: p, offset: 516),
            oncs: LittleEndian.load(UInt16.self, from: p, offset: 520),
            vwc: p.load(fromByteOffset: 525, as: UInt8.self))
    }

    /// OACS bit 3: Namespace Management and Attachment supported.
    public var supportsNamespaceManagement: Bool { oacs & (1 << 3) != 0 }
}

/// An NVMe specification version (VER), e.g. 2.1.0.
public struct NVMeVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bits 31:16 MJR, 15:8 MNR, 7:0 TER.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(major: UInt16, minor: UInt8, tertiary: UInt8 = 0) {
        rawValue = UInt32(major) << 16 | UInt32(minor) << 8 | UInt32(tertiary)
    }

    public var major: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    public var minor: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 8) }
    public var tertiary: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    public static func < (lhs: NVMeVersion, rhs: NVMeVersion) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(major).\(minor).\(tertiary)" }
}

/// Decoding of the fixed-width ASCII fields of Identify data.
enum IdentifyText {
    /// The field at `offset ..< offset + count`, with leading and trailing
    /// spaces and NULs removed (the specification pads with spaces; some
    /// devices pad with NULs) and every byte outside printable ASCII
    /// (0x20...0x7E) replaced by `?`. Reads only inside `buffer`.
    static func decode(_ buffer: UnsafeRawBufferPointer, offset: Int, count: Int) -> String {
        let end = min(buffer.count, offset + count)
        guard offset < end else { return "" }
        let field = buffer[offset ..< end]
        let isPadding = { (byte: UInt8) in byte == 0x20 || byte == 0x00 }
        guard let first = field.firstIndex(where: { !isPadding($0) }),
              let last = field.lastIndex(where: { !isPadding($0) })
        else { return "" }
        let printable = field[first ... last].lazy.map { (0x20 ... 0x7E).contains($0) ? $0 : UInt8(ascii: "?") }
        return String(decoding: Array(printable), as: UTF8.self)
    }
}
