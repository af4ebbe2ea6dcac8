/// Little-endian loads and stores at any byte offset.
///
/// NVMe data structures are little endian and packed: a 64-bit SLBA sits at
/// byte 8 of a 32-byte entry that may itself start at any address inside a
/// buffer. Every access therefore goes through `loadUnaligned` and
/// `storeBytes`, which have no alignment requirement, and converts byte order
/// explicitly, so the model is also correct on a big-endian host.
///
/// These are the only places the module touches raw memory; the caller
/// guarantees that `offset ..< offset + MemoryLayout<T>.size` is readable
/// (or writable).
public enum LittleEndian {
    /// Reads a little-endian integer at `base + offset`, any alignment.
    @inlinable @inline(__always)
    public static func load<T: FixedWidthInteger & BitwiseCopyable>(
        _: T.Type, from base: UnsafeRawPointer, offset: Int
    ) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Writes `value` in little-endian byte order at `base + offset`, any
    /// alignment.
    @inlinable @inline(__always)
    public static func store<T: FixedWidthInteger & BitwiseCopyable>(
        _ value: T, to base: UnsafeMutableRawPointer, offset: Int
    ) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    /// Reads a little-endian integer from `buffer` at `offset`, or `nil` when
    /// the buffer is too short. For decoding data of untrusted length.
    @inlinable
    public static func load<T: FixedWidthInteger & BitwiseCopyable>(
        _: T.Type, from buffer: UnsafeRawBufferPointer, offset: Int
    ) -> T? {
        guard offset >= 0, let base = buffer.baseAddress,
              buffer.count - offset >= MemoryLayout<T>.size
        else { return nil }
        return load(T.self, from: base, offset: offset)
    }
}
