@testable import CDQMigration
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The copier's seam for destinations that finish transfers outside its
/// ring (as an NBD export does), with a destination in memory, and the
/// rule that tells an NBD URI from a path.
@Suite struct CopyDestinationTests {
    /// Holds what was written; finishes each write on the next `reap`,
    /// or fails the write at `failingOffset` with `ENOTCONN`.
    final class MemoryDestination: CopyDestination {
        let path = "memory://test"
        let kind = DestinationKind.nbd
        let byteCount: UInt64
        let direct = false
        let maximumTransferBytes: Int? = nil
        var bytes: [UInt8]
        var failingOffset: UInt64?
        var started = 0
        private var pending: [(UserData, Int32)] = []

        init(byteCount: Int) {
            self.byteCount = UInt64(byteCount)
            bytes = [UInt8](repeating: 0, count: byteCount)
        }

        func start(_ transfer: Transfer, ring: IOURing, tag: UserData) throws(MigrationError) {
            started += 1
            if transfer.offset == failingOffset {
                pending.append((tag, -ENOTCONN))
                return
            }
            for index in 0 ..< transfer.buffer.count { bytes[Int(transfer.offset) + index] = transfer.buffer[index] }
            pending.append((tag, Int32(transfer.buffer.count)))
        }

        func prepareWait(ring: IOURing, eventKind: UInt8) {}
        func handle(_ completion: Completion) {}
        func reap(_ deliver: (UserData, Int32) -> Void) {
            let finished = pending
            pending.removeAll()
            for (tag, result) in finished { deliver(tag, result) }
        }
        func makeDurable() {}
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) {
            for index in 0 ..< buffer.count { buffer[index] = bytes[Int(offset) + index] }
        }
    }

    func source(_ directory: TemporaryDirectory, bytes count: Int) throws -> ([UInt8], BlockFile) {
        var random = SplitMix64(seed: 7)
        var bytes = [UInt8](repeating: 0, count: count)
        random.fill(&bytes)
        return (bytes, try BlockFile(path: directory.file("source", bytes: bytes), access: .read))
    }

    @Test func writesFinishedThroughReapCompleteTheCopy() throws {
        let directory = TemporaryDirectory()
        let (bytes, source) = try source(directory, bytes: 1 << 20)
        let destination = MemoryDestination(byteCount: bytes.count)
        let copier = try Copier(source: source, destination: destination, configuration: CopierConfiguration(depth: 4, chunkBytes: 64 << 10))
        let copied = try copier.copy([ByteRange(offset: 0, count: UInt64(bytes.count))])
        #expect(copied == UInt64(bytes.count))
        #expect(destination.bytes == bytes)
    }

    @Test func aWriteFailedThroughReapNamesTheDestinationAndStopsNewChunks() throws {
        let directory = TemporaryDirectory()
        let (bytes, source) = try source(directory, bytes: 1 << 20)
        let destination = MemoryDestination(byteCount: bytes.count)
        destination.failingOffset = 128 << 10
        let copier = try Copier(source: source, destination: destination, configuration: CopierConfiguration(depth: 2, chunkBytes: 64 << 10))
        #expect {
            try copier.copy([ByteRange(offset: 0, count: UInt64(bytes.count))])
        } throws: { error in
            guard let error = error as? MigrationError, case .io(let place, let system) = error else { return false }
            return place == "write memory://test at byte 131072" && system.errno == ENOTCONN
        }
        #expect(destination.started < 16, "no chunk started after the failure but those in flight")
    }

    @Test(arguments: ["nbd://host/export", "nbd://host:10810/", "NBD://HOST/", "nbds://host/e", "nbd+unix:///e?socket=/s", "nbds+unix:///?socket=/s"])
    func nbdURIsAreRecognised(name: String) {
        #expect(NBDDestination.isURI(name))
    }

    @Test(arguments: ["/tmp/ns.img", "nbd.img", "nbd+backup.img", "./nbd://x", "/dev/nvme1n1", "file:///tmp/x"])
    func pathsAreNotNBDURIs(name: String) {
        #expect(!NBDDestination.isURI(name))
    }
}
