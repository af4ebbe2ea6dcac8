import CDQNVMe
import CDQSimulator
import CDQUring
import Foundation
import Testing

/// `stat` of `path`: (size in bytes, bytes actually allocated on disk).
func namespaceFileSizes(_ path: String) -> (size: Int, allocated: Int) {
    var info = stat()
    guard stat(path, &info) == 0 else { return (-1, -1) }
    return (Int(info.st_size), Int(info.st_blocks) * 512)
}

@Suite struct NamespaceFileTests {
    @Test func aTebibyteNamespaceCostsOnlyWhatIsWritten() throws {
        let directory = try NamespaceScratchDirectory()
        let path = directory.file("big")
        let capacity: UInt64 = 1 << 28 // 2^28 blocks of 4 KiB: 1 TiB
        let namespace = try SimulatedNamespace(nsid: 1, lbaSize: 4096, capacity: capacity, backing: .file(path: path))
        for lba in [0, capacity / 3, capacity / 2, capacity - 1] {
            let bytes = namespacePattern(firstLBA: lba, blocks: 1, lbaSize: 4096)
            #expect(namespaceWriteBytes(namespace, at: lba, bytes) == .success)
            #expect(namespaceReadDifference(namespace, at: lba, blocks: 1, expected: bytes) == nil)
        }
        let sizes = namespaceFileSizes(path)
        #expect(sizes.size == 1 << 40)
        // Four 4 KiB blocks plus filesystem metadata, not a terabyte.
        #expect(sizes.allocated > 0 && sizes.allocated < 1 << 20, "allocated \(sizes.allocated) bytes")
    }

    @Test func dataPersistsAcrossReopen() throws {
        let directory = try NamespaceScratchDirectory()
        let path = directory.file("persistent")
        let bytes = namespacePattern(firstLBA: 100, blocks: 4, lbaSize: 512, seed: 9)
        do {
            let first = try SimulatedNamespace(nsid: 3, lbaSize: 512, capacity: 2048, backing: .file(path: path))
            #expect(namespaceWriteBytes(first, at: 100, bytes) == .success)
        } // closed here
        let second = try SimulatedNamespace(nsid: 3, lbaSize: 512, capacity: 2048, backing: .file(path: path))
        #expect(namespaceReadDifference(second, at: 100, blocks: 4, expected: bytes) == nil)
        #expect(namespaceReadDifference(second, at: 99, blocks: 1, expected: [UInt8](repeating: 0, count: 512)) == nil)
    }

    @Test func deallocatePunchesHoles() throws {
        let directory = try NamespaceScratchDirectory()
        let path = directory.file("holes")
        let namespace = try SimulatedNamespace(nsid: 1, lbaSize: 4096, capacity: 1024, backing: .file(path: path))
        let bytes = namespacePattern(firstLBA: 0, blocks: 256, lbaSize: 4096)
        #expect(namespaceWriteBytes(namespace, at: 0, bytes) == .success)
        #expect(namespaceFileSizes(path).allocated >= 1 << 20)

        #expect(namespace.deallocate(startingLBA: 0, blockCount: 256) == .success)
        let after = namespaceFileSizes(path)
        #expect(after.allocated < 64 * 1024, "still \(after.allocated) bytes allocated")
        #expect(after.size == 1024 * 4096, "KEEP_SIZE: the namespace does not shrink")
        #expect(namespaceReadDifference(namespace, at: 0, blocks: 256, expected: [UInt8](repeating: 0, count: 256 * 4096)) == nil)
    }

    @Test func anExistingFileIsSizedToTheNamespace() throws {
        let directory = try NamespaceScratchDirectory()
        let path = directory.file("resized")
        _ = try SimulatedNamespace(nsid: 1, lbaSize: 512, capacity: 4096, backing: .file(path: path))
        #expect(namespaceFileSizes(path).size == 4096 * 512)
        _ = try SimulatedNamespace(nsid: 1, lbaSize: 512, capacity: 100, backing: .file(path: path))
        #expect(namespaceFileSizes(path).size == 100 * 512)
    }

    @Test func openFailureNamesThePath() throws {
        let directory = try NamespaceScratchDirectory()
        let path = directory.file("missing/dir/ns")
        do {
            _ = try SimulatedNamespace(nsid: 1, capacity: 8, backing: .file(path: path))
            Issue.record("opened a file in a missing directory")
        } catch {
            #expect(error.errno == ENOENT)
            #expect(error.operation == "open \(path)")
        }
    }
}
