import CCDQ

#if canImport(Glibc)
import Glibc
#endif

/// Fixed buffers: memory the kernel pins and maps once at registration, so
/// a read or write into it skips the per-request page lookup. Used by bulk
/// data paths (the copy engine); the engine's own rings never need them.
extension IOURing {
    /// Registers `buffers` (index i in the order given); at most one set per ring.
    public func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) throws(SystemError) {
        var vectors = buffers.map { iovec(iov_base: $0.baseAddress, iov_len: $0.count) }
        let result = io_uring_register_buffers(ring, &vectors, UInt32(vectors.count))
        if result < 0 { throw SystemError("io_uring_register_buffers", negatedErrno: result) }
    }

    /// Drops the registration, so the memory may be freed.
    public func unregisterBuffers() {
        _ = io_uring_unregister_buffers(ring)
    }
}

extension SubmissionEntry {
    /// Reads into part of registered buffer `bufferIndex`.
    public func prepareReadFixed(
        fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64, bufferIndex: Int, _ userData: UserData
    ) {
        io_uring_prep_read_fixed(sqe, fd, buffer.baseAddress, UInt32(buffer.count), offset, Int32(bufferIndex))
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Writes from part of registered buffer `bufferIndex`.
    public func prepareWriteFixed(
        fd: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64, bufferIndex: Int, _ userData: UserData
    ) {
        io_uring_prep_write_fixed(sqe, fd, buffer.baseAddress, UInt32(buffer.count), offset, Int32(bufferIndex))
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }
}
