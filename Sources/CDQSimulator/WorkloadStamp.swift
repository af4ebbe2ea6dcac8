import CDQNVMe

/// The 16 bytes a workload writes at the start of every block it writes:
/// the block's own LBA and the writing operation's sequence number, both
/// little endian. The rest of the block is zero.
///
/// | bytes | field |
/// |---|---|
/// | 0-7 | LBA of this block |
/// | 8-15 | sequence number of the write (from 1; 0 = never written) |
///
/// A copy of the namespace can then be verified block by block: the LBA
/// says the block landed in the right place, the sequence says it is the
/// newest version (compare with the last write the workload issued there).
public struct WorkloadStamp: Sendable, Hashable {
    /// Bytes at the start of a block taken by the stamp.
    public static let size = 16

    public var lba: UInt64
    public var sequence: UInt64

    public init(lba: UInt64, sequence: UInt64) {
        self.lba = lba
        self.sequence = sequence
    }

    /// Decodes the stamp at the start of `block`; nil when it is shorter
    /// than `size` bytes.
    public init?(block: UnsafeRawBufferPointer) {
        guard let lba = LittleEndian.load(UInt64.self, from: block, offset: 0),
              let sequence = LittleEndian.load(UInt64.self, from: block, offset: 8)
        else { return nil }
        self.init(lba: lba, sequence: sequence)
    }

    /// Writes the 16-byte image at `destination` (any alignment).
    public func write(to destination: UnsafeMutableRawPointer) {
        LittleEndian.store(lba, to: destination, offset: 0)
        LittleEndian.store(sequence, to: destination, offset: 8)
    }

    /// Stamps each of `operation.blockCount` blocks of `lbaSize` bytes at
    /// `buffer` with its LBA and the operation's sequence number; the bytes
    /// after each stamp are left as they are. The caller guarantees that
    /// `operation.blockCount * lbaSize` bytes at `buffer` are writable.
    public static func stamp(_ buffer: UnsafeMutableRawPointer, for operation: WorkloadOperation, lbaSize: Int) {
        for block in 0 ..< Int(operation.blockCount) {
            WorkloadStamp(lba: operation.startingLBA + UInt64(block), sequence: operation.sequence)
                .write(to: buffer + block * lbaSize)
        }
    }
}
