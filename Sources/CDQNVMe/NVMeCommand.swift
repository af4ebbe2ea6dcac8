/// One NVMe submission queue entry: the 64-byte command every NVMe queue
/// carries, admin or I/O.
///
/// The fields mirror the specification's command dwords and the field names
/// of Linux's `struct nvme_uring_cmd`, so a command built here maps one to
/// one onto the passthrough structure (cdq-protocol.md §5). Building and
/// writing a command never allocates; `bytes` does and is for tests and
/// tools.
///
/// Layout (little endian):
///
/// | dword | field |
/// |---|---|
/// | 0 | bits 7:0 opcode, 15:8 flags (FUSE 9:8, PSDT 15:14), 31:16 command identifier (CID) |
/// | 1 | NSID |
/// | 2, 3 | command specific (CDW2, CDW3) |
/// | 4-5 | metadata pointer (MPTR) |
/// | 6-7 | PRP entry 1 (data pointer) |
/// | 8-9 | PRP entry 2 |
/// | 10-15 | command specific (CDW10 ... CDW15) |
///
/// Under io_uring passthrough the kernel owns the CID and the data pointers;
/// it takes the data buffer from `nvme_uring_cmd.addr`, not from `prp1`.
public struct NVMeCommand: Sendable, Hashable, BitwiseCopyable {
    /// Size of a submission queue entry in bytes.
    public static let size = 64

    /// OPC: the command's opcode (`AdminOpcode` or `IOOpcode` raw value).
    /// Bits 1:0 give the data direction (`dataTransfer`).
    public var opcode: UInt8
    /// CDW0 bits 15:8: fused operation (bits 1:0) and PRP/SGL selection
    /// (bits 7:6). Zero for every command this project sends.
    public var flags: UInt8
    /// CID: chosen by the submitter to match the completion to the command.
    public var commandIdentifier: UInt16
    /// Namespace identifier; 0 when the command does not use one,
    /// 0xFFFF_FFFF for "all namespaces".
    public var nsid: UInt32
    public var cdw2: UInt32
    public var cdw3: UInt32
    /// MPTR: metadata buffer address.
    public var metadataPointer: UInt64
    /// PRP entry 1: data buffer address (or the first PRP list for queues).
    public var prp1: UInt64
    /// PRP entry 2: second data page or PRP list address.
    public var prp2: UInt64
    public var cdw10: UInt32
    public var cdw11: UInt32
    public var cdw12: UInt32
    public var cdw13: UInt32
    public var cdw14: UInt32
    public var cdw15: UInt32

    /// Creates a command from its fields; unspecified fields are zero.
    @inlinable
    public init(
        opcode: UInt8, flags: UInt8 = 0, commandIdentifier: UInt16 = 0,
        nsid: UInt32 = 0, cdw2: UInt32 = 0, cdw3: UInt32 = 0,
        metadataPointer: UInt64 = 0, prp1: UInt64 = 0, prp2: UInt64 = 0,
        cdw10: UInt32 = 0, cdw11: UInt32 = 0, cdw12: UInt32 = 0,
        cdw13: UInt32 = 0, cdw14: UInt32 = 0, cdw15: UInt32 = 0
    ) {
        self.opcode = opcode
        self.flags = flags
        self.commandIdentifier = commandIdentifier
        self.nsid = nsid
        self.cdw2 = cdw2
        self.cdw3 = cdw3
        self.metadataPointer = metadataPointer
        self.prp1 = prp1
        self.prp2 = prp2
        self.cdw10 = cdw10
        self.cdw11 = cdw11
        self.cdw12 = cdw12
        self.cdw13 = cdw13
        self.cdw14 = cdw14
        self.cdw15 = cdw15
    }

    /// Decodes a 64-byte image, or returns `nil` unless `image` holds
    /// exactly `NVMeCommand.size` bytes.
    public init?(image: UnsafeRawBufferPointer) {
        guard image.count == Self.size, let p = image.baseAddress else { return nil }
        let dw0 = LittleEndian.load(UInt32.self, from: p, offset: 0)
        self.init(
            opcode: UInt8(truncatingIfNeeded: dw0),
            flags: UInt8(truncatingIfNeeded: dw0 >> 8),
            commandIdentifier: UInt16(truncatingIfNeeded: dw0 >> 16),
            nsid: LittleEndian.load(UInt32.self, from: p, offset: 4),
            cdw2: LittleEndian.load(UInt32.self, from: p, offset: 8),
            cdw3: LittleEndian.load(UInt32.self, from: p, offset: 12),
            metadataPointer: LittleEndian.load(UInt64.self, from: p, offset: 16),
            prp1: LittleEndian.load(UInt64.self, from: p, offset: 24),
            prp2: LittleEndian.load(UInt64.self, from: p, offset: 32),
            cdw10: LittleEndian.load(UInt32.self, from: p, offset: 40),
            cdw11: LittleEndian.load(UInt32.self, from: p, offset: 44),
            cdw12: LittleEndian.load(UInt32.self, from: p, offset: 48),
            cdw13: LittleEndian.load(UInt32.self, from: p, offset: 52),
            cdw14: LittleEndian.load(UInt32.self, from: p, offset: 56),
            cdw15: LittleEndian.load(UInt32.self, from: p, offset: 60)
        )
    }

    /// Decodes a 64-byte image held in an array; `nil` unless it has exactly
    /// 64 bytes.
    public init?(bytes: [UInt8]) {
        guard let command = bytes.withUnsafeBytes({ NVMeCommand(image: $0) }) else { return nil }
        self = command
    }

    /// Writes the exact 64-byte little-endian image to `destination`, which
    /// must have room for `NVMeCommand.size` bytes (any alignment).
    @inlinable
    public func write(to destination: UnsafeMutableRawPointer) {
        let dw0 = UInt32(opcode) | UInt32(flags) << 8 | UInt32(commandIdentifier) << 16
        LittleEndian.store(dw0, to: destination, offset: 0)
        LittleEndian.store(nsid, to: destination, offset: 4)
        LittleEndian.store(cdw2, to: destination, offset: 8)
        LittleEndian.store(cdw3, to: destination, offset: 12)
        LittleEndian.store(metadataPointer, to: destination, offset: 16)
        LittleEndian.store(prp1, to: destination, offset: 24)
        LittleEndian.store(prp2, to: destination, offset: 32)
        LittleEndian.store(cdw10, to: destination, offset: 40)
        LittleEndian.store(cdw11, to: destination, offset: 44)
        LittleEndian.store(cdw12, to: destination, offset: 48)
        LittleEndian.store(cdw13, to: destination, offset: 52)
        LittleEndian.store(cdw14, to: destination, offset: 56)
        LittleEndian.store(cdw15, to: destination, offset: 60)
    }

    /// The 64-byte image as an array. Allocates: for tests, logs and tools,
    /// not for the submission path (use `write(to:)` there).
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.size) { buffer, count in
            write(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            count = Self.size
        }
    }

    /// Command dword `index` (0...15) as it appears in the image, for
    /// logging and tests; `nil` for any other index.
    public func dword(_ index: Int) -> UInt32? {
        switch index {
        case 0: UInt32(opcode) | UInt32(flags) << 8 | UInt32(commandIdentifier) << 16
        case 1: nsid
        case 2: cdw2
        case 3: cdw3
        case 4: UInt32(truncatingIfNeeded: metadataPointer)
        case 5: UInt32(truncatingIfNeeded: metadataPointer >> 32)
        case 6: UInt32(truncatingIfNeeded: prp1)
        case 7: UInt32(truncatingIfNeeded: prp1 >> 32)
        case 8: UInt32(truncatingIfNeeded: prp2)
        case 9: UInt32(truncatingIfNeeded: prp2 >> 32)
        case 10: cdw10
        case 11: cdw11
        case 12: cdw12
        case 13: cdw13
        case 14: cdw14
        case 15: cdw15
        default: nil
        }
    }

    /// The direction of the command's data transfer, from opcode bits 1:0
    /// (the specification reserves these bits for exactly this purpose in
    /// every opcode).
    @inlinable
    public var dataTransfer: DataTransfer {
        switch opcode & 0b11 {
        case 0b00: .none
        case 0b01: .hostToController
        case 0b10: .controllerToHost
        default: .bidirectional
        }
    }
}

/// Direction of a command's data buffer, encoded in opcode bits 1:0.
///
/// Passthrough needs it to know whether the kernel maps the user buffer for
/// reading or writing.
public enum DataTransfer: UInt8, Sendable, Hashable, CaseIterable {
    /// 00b: no data.
    case none = 0
    /// 01b: host to controller (e.g. Write, Set Features).
    case hostToController = 1
    /// 10b: controller to host (e.g. Read, Identify, Get Log Page).
    case controllerToHost = 2
    /// 11b: both directions.
    case bidirectional = 3
}
