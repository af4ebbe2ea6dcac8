import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The baseline a copy engine is measured against: one thread, `pread`
/// then `pwrite`, one chunk at a time, from the first byte to the last.
/// What `dd` or `cp` would do; nothing in flight but the current chunk.
public enum SequentialCopy {
    /// Copies the first `byteCount` bytes; returns the nanoseconds it took.
    public static func copy(
        from source: BlockFile, to destination: BlockFile, byteCount: UInt64, chunkBytes: Int = 1 << 20
    ) throws(MigrationError) -> UInt64 {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: Int(BlockFile.directAlignment))
        defer { buffer.deallocate() }
        let start = MonotonicClock.nanoseconds()
        var offset: UInt64 = 0
        while offset < byteCount {
            let length = Int(min(UInt64(chunkBytes), byteCount - offset))
            try transfer(source, buffer, length, offset, write: false)
            try transfer(destination, buffer, length, offset, write: true)
            offset += UInt64(length)
        }
        return MonotonicClock.nanoseconds() - start
    }

    private static func transfer(
        _ file: BlockFile, _ buffer: UnsafeMutableRawPointer, _ length: Int, _ offset: UInt64, write: Bool
    ) throws(MigrationError) {
        var done = 0
        while done < length {
            let position = off_t(offset) + off_t(done)
            let moved = write ? pwrite(file.descriptor, buffer + done, length - done, position)
                : pread(file.descriptor, buffer + done, length - done, position)
            if moved > 0 { done += moved; continue }
            let error = moved == 0 ? EIO : currentErrno()
            if error == EINTR { continue }
            let operation = write ? "write" : "read"
            throw .io("\(operation) \(file.path) at byte \(offset + UInt64(done))", SystemError(operation, errno: error))
        }
    }
}
