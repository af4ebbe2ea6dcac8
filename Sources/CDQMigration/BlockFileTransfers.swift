import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// A file or block device as a side of a copy: its transfers are entries
/// of the copier's ring, so there is nothing to poll and nothing to reap.
extension BlockFile: CopyDestination {
    public var kind: DestinationKind { isBlockDevice ? .blockDevice : .file }
    public var maximumTransferBytes: Int? { nil }

    public func start(_ transfer: Transfer, ring: IOURing, tag: UserData) throws(MigrationError) {
        let entry: SubmissionEntry
        do { entry = try ring.nextSubmission() } catch { throw .system(error) }
        let buffer = transfer.buffer
        switch (transfer.writing, transfer.fixedBuffer) {
        case (false, let index?): entry.prepareReadFixed(fd: descriptor, into: buffer, offset: transfer.offset, bufferIndex: index, tag)
        case (false, nil): entry.prepareRead(fd: descriptor, into: buffer, offset: transfer.offset, tag)
        case (true, let index?):
            entry.prepareWriteFixed(fd: descriptor, from: UnsafeRawBufferPointer(buffer), offset: transfer.offset, bufferIndex: index, tag)
        case (true, nil): entry.prepareWrite(fd: descriptor, from: UnsafeRawBufferPointer(buffer), offset: transfer.offset, tag)
        }
    }

    public func prepareWait(ring: IOURing, eventKind: UInt8) {}
    public func handle(_ completion: Completion) {}
    public func reap(_ deliver: (UserData, Int32) -> Void) {}

    public func makeDurable() throws(MigrationError) {
        do { try synchronize() } catch { throw .system(error) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(MigrationError) {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if got > 0 { done += got; continue }
            let error = got == 0 ? EIO : currentErrno()
            if error == EINTR { continue }
            throw .io("read \(path) at byte \(offset + UInt64(done))", SystemError("pread", errno: error))
        }
    }
}
