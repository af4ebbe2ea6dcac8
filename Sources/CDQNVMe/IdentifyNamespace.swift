/// The fields this project reads from the 4096-byte Identify Namespace
/// data structure (Identify, CNS 00h, NVM command set): the namespace's
/// size and the size of its logical blocks.
///
/// Decoding never traps on device data; impossible values (LBADS out of
/// range, a current format beyond the list) give `nil`, not a crash. Not a
/// hot path; the LBA format list is an array.
public struct IdentifyNamespace: Sendable, Hashable {
    /// Size of the Identify Namespace data structure.
    public static let size = 4096
    /// Byte offset of LBA format 0; format i is at `128 + 4 * i`.
    public static let lbaFormatsOffset = 128
    /// At most 64 LBA formats fit (bytes 128-383).
    public static let maximumLBAFormats = 64

    /// NSZE: namespace size in logical blocks (bytes 0-7).
    public var nsze: UInt64
    /// NCAP: namespace capacity in logical blocks (bytes 8-15).
    public var ncap: UInt64
    /// NUSE: namespace utilization in logical blocks (bytes 16-23).
    public var nuse: UInt64
    /// NSFEAT: namespace features (byte 24).
    public var nsfeat: UInt8
    /// NLBAF: number of LBA formats, 0's based (byte 25).
    public var nlbaf: UInt8
    /// FLBAS: formatted LBA size (byte 26): bits 3:0 and 6:5 the format
    /// index, bit 4 metadata at the end of each LBA.
    public var flbas: UInt8
    /// MC: metadata capabilities (byte 27).
    public var mc: UInt8
    /// DPS: end-to-end data protection settings (byte 29).
    public var dps: UInt8
    /// The LBA formats the namespace lists: NLBAF + 1 of them, at most 64.
    public var lbaFormats: [LBAFormat]

    public init(
        nsze: UInt64, ncap: UInt64, nuse: UInt64, nsfeat: UInt8 = 0, nlbaf: UInt8,
        flbas: UInt8, mc: UInt8 = 0, dps: UInt8 = 0, lbaFormats: [LBAFormat]
    ) {
        self.nsze = nsze
        self.ncap = ncap
        self.nuse = nuse
        self.nsfeat = nsfeat
        self.nlbaf = nlbaf
        self.flbas = flbas
        self.mc = mc
        self.dps = dps
        self.lbaFormats = lbaFormats
    }

    /// Decodes the data structure; `nil` if `buffer` holds fewer than 4096
    /// bytes. An NLBAF above 63 is clamped to the 64 formats that fit.
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size, let p = buffer.baseAddress else { return nil }
        let nlbaf = p.load(fromByteOffset: 25, as: UInt8.self)
        let formatCount = min(Int(nlbaf) + 1, Self.maximumLBAFormats)
        let formats = (0 ..< formatCount).map { index in
            LBAFormat(rawValue: LittleEndian.load(
                UInt32.self, from: p, offset: Self.lbaFormatsOffset + 4 * index))
        }
        self.init(
            nsze: LittleEndian.load(UInt64.self, from: p, offset: 0),
            ncap: LittleEndian.load(UInt64.self, from: p, offset: 8),
            nuse: LittleEndian.load(UInt64.self, from: p, offset: 16),
            nsfeat: p.load(fromByteOffset: 24, as: UInt8.self),
            nlbaf: nlbaf,
            flbas: p.load(fromByteOffset: 26, as: UInt8.self),
            mc: p.load(fromByteOffset: 27, as: UInt8.self),
            dps: p.load(fromByteOffset: 29, as: UInt8.self),
            lbaFormats: formats)
    }

    /// Index of the format the namespace is formatted with: FLBAS bits 3:0,
    /// plus bits 6:5 as bits 5:4 of the index when more than 16 formats are
    /// listed (the specification tells the host to ignore bits 6:5
    /// otherwise).
    public var currentFormatIndex: Int {
        let low = Int(flbas & 0x0F)
        guard nlbaf >= 16 else { return low }
        return low | Int((flbas >> 5) & 0b11) << 4
    }

    /// The current LBA format, or `nil` if FLBAS points past the list.
    public var currentFormat: LBAFormat? {
        let index = currentFormatIndex
        return index < lbaFormats.count ? lbaFormats[index] : nil
    }

    /// Bytes per logical block of the current format, or `nil` when the
    /// format is missing or its LBADS is out of range.
    public var lbaDataSize: UInt32? { currentFormat?.dataSize }

    /// FLBAS bit 4: metadata is transferred at the end of each LBA
    /// (extended LBA) rather than in a separate buffer.
    public var metadataAtEndOfLBA: Bool { flbas & (1 << 4) != 0 }
}

/// One LBA Format descriptor (4 bytes): the size of a logical block and of
/// its metadata.
public struct LBAFormat: Sendable, Hashable {
    /// Bits 15:0 MS, 23:16 LBADS, 25:24 RP.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(metadataSize: UInt16, lbaDataSizeExponent: UInt8, relativePerformance: UInt8 = 0) {
        rawValue = UInt32(metadataSize)
            | UInt32(lbaDataSizeExponent) << 16
            | UInt32(relativePerformance & 0b11) << 24
    }

    /// MS: metadata bytes per logical block.
    public var metadataSize: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    /// LBADS: logical block size as a power of two.
    public var lbaDataSizeExponent: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 16) }
    /// RP: relative performance, 0 best ... 3 degraded.
    public var relativePerformance: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 24) & 0b11 }

    /// Logical block size in bytes, 2^LBADS; `nil` when LBADS is below 9
    /// (the specification's minimum of 512 bytes; 0 marks an unavailable
    /// format) or too large for 32 bits.
    public var dataSize: UInt32? {
        let exponent = lbaDataSizeExponent
        guard (9 ... 31).contains(exponent) else { return nil }
        return 1 << UInt32(exponent)
    }
}
