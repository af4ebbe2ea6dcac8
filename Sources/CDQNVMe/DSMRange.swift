/// One 16-byte Dataset Management range descriptor, the data a
/// `datasetManagementDeallocate` command carries (one per range).
///
/// | bytes | field |
/// |---|---|
/// | 0-3 | context attributes (access hints; 0 for a plain deallocate) |
/// | 4-7 | length in logical blocks (1's based, unlike NLB in commands) |
/// | 8-15 | SLBA |
public struct DSMRange: Sendable, Hashable {
    public static let size = 16

    public var contextAttributes: UInt32
    /// Number of logical blocks in the range; 1's based (0 is an empty
    /// range).
    public var lengthInLogicalBlocks: UInt32
    public var startingLBA: UInt64

    public init(contextAttributes: UInt32 = 0, lengthInLogicalBlocks: UInt32, startingLBA: UInt64) {
        self.contextAttributes = contextAttributes
        self.lengthInLogicalBlocks = lengthInLogicalBlocks
        self.startingLBA = startingLBA
    }

    /// Decodes 16 bytes at `bytes` (any alignment; the caller guarantees
    /// they are readable).
    public init(bytes: UnsafeRawPointer) {
        self.init(
            contextAttributes: LittleEndian.load(UInt32.self, from: bytes, offset: 0),
            lengthInLogicalBlocks: LittleEndian.load(UInt32.self, from: bytes, offset: 4),
            startingLBA: LittleEndian.load(UInt64.self, from: bytes, offset: 8)
        )
    }

    /// Decodes the first 16 bytes of `buffer`; `nil` if it is shorter.
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size, let base = buffer.baseAddress else { return nil }
        self.init(bytes: base)
    }

    /// Writes the 16-byte image to `destination` (any alignment).
    public func write(to destination: UnsafeMutableRawPointer) {
        LittleEndian.store(contextAttributes, to: destination, offset: 0)
        LittleEndian.store(lengthInLogicalBlocks, to: destination, offset: 4)
        LittleEndian.store(startingLBA, to: destination, offset: 8)
    }
}
