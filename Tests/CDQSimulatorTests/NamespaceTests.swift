import CDQNVMe
import CDQSimulator
import CDQUring
import Dispatch
import Foundation
import Testing

// Behaviour every backing shares; backing-specific properties (sparseness,
// persistence, page handling) are in NamespaceFileTests and
// NamespaceMemoryTests.

/// The backings, as test arguments (a file backing needs a path, made per test).
enum NamespaceTestBacking: String, CaseIterable, Sendable {
    case memory, file, discard
}

/// A fresh directory under the temporary directory, removed with the object.
final class NamespaceScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "cdq-namespace-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

func namespaceForTest(
    _ backing: NamespaceTestBacking, lbaSize: Int = 512, capacity: UInt64 = 1024,
    in directory: NamespaceScratchDirectory
) throws -> SimulatedNamespace {
    switch backing {
    case .memory: try SimulatedNamespace(nsid: 1, lbaSize: lbaSize, capacity: capacity, backing: .memory)
    case .file: try SimulatedNamespace(nsid: 1, lbaSize: lbaSize, capacity: capacity, backing: .file(path: directory.file("ns1")))
    case .discard: try SimulatedNamespace(nsid: 1, lbaSize: lbaSize, capacity: capacity, backing: .discard)
    }
}

/// `blocks` blocks in which every 8-byte word depends on the block's LBA,
/// its position and a seed, and no byte is zero, so a block landing at the
/// wrong LBA (or not at all, or zeroed) shows. Built a word at a time: a
/// debug build is slow per byte.
func namespacePattern(firstLBA: UInt64, blocks: Int, lbaSize: Int, seed: UInt8 = 1) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: blocks * lbaSize)
    bytes.withUnsafeMutableBytes { raw in
        for word in 0 ..< raw.count / 8 {
            let lba = firstLBA + UInt64(word * 8 / lbaSize)
            let mixed = (lba &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(word % (lbaSize / 8)) &* 0x0000_0100_0000_01B3 ^ UInt64(seed)
            raw.storeBytes(of: mixed | 0x0101_0101_0101_0101, toByteOffset: word * 8, as: UInt64.self)
        }
    }
    return bytes
}

func namespaceWriteBytes(_ namespace: SimulatedNamespace, at lba: UInt64, _ bytes: [UInt8]) -> NVMeStatus {
    bytes.withUnsafeBytes {
        namespace.write(startingLBA: lba, blockCount: UInt32(bytes.count / namespace.lbaSize), data: $0)
    }
}

func namespaceReadBytes(_ namespace: SimulatedNamespace, at lba: UInt64, blocks: Int) -> (NVMeStatus, [UInt8]) {
    var bytes = [UInt8](repeating: 0xEE, count: blocks * namespace.lbaSize)
    let status = bytes.withUnsafeMutableBytes {
        namespace.read(startingLBA: lba, blockCount: UInt32(blocks), into: $0)
    }
    return (status, bytes)
}

/// Reads `blocks` blocks at `lba` and says how they differ from
/// `expected`: nil when equal, else the status or the first differing byte
/// (a short message, where comparing whole arrays would print megabytes).
func namespaceReadDifference(_ namespace: SimulatedNamespace, at lba: UInt64, blocks: Int, expected: [UInt8]) -> String? {
    let (status, bytes) = namespaceReadBytes(namespace, at: lba, blocks: blocks)
    guard status == .success else { return "read: \(status)" }
    guard bytes.count == expected.count else { return "read \(bytes.count) bytes, expected \(expected.count)" }
    guard let index = bytes.indices.first(where: { bytes[$0] != expected[$0] }) else { return nil }
    let size = namespace.lbaSize
    return "LBA \(lba + UInt64(index / size)) byte \(index % size): \(bytes[index]) instead of \(expected[index])"
}

struct NamespaceGeometry: Sendable, CustomTestStringConvertible {
    var nsid: UInt32 = 1
    var lbaSize = 512
    var capacity: UInt64 = 8
    var testDescription: String { "nsid \(nsid), \(capacity) x \(lbaSize) bytes" }
}

@Suite struct NamespaceTests {
    @Test(arguments: [
        NamespaceGeometry(lbaSize: 0), NamespaceGeometry(lbaSize: 256), NamespaceGeometry(lbaSize: 1000),
        NamespaceGeometry(lbaSize: 131_072), NamespaceGeometry(lbaSize: -512), NamespaceGeometry(capacity: 0),
        NamespaceGeometry(lbaSize: 4096, capacity: UInt64.max / 2), NamespaceGeometry(lbaSize: 512, capacity: 1 << 55),
        NamespaceGeometry(nsid: 0), NamespaceGeometry(nsid: UInt32.max),
    ])
    func impossibleGeometryThrowsEINVAL(geometry: NamespaceGeometry) {
        for backing in [NamespaceBacking.memory, .discard] {
            do {
                _ = try SimulatedNamespace(nsid: geometry.nsid, lbaSize: geometry.lbaSize, capacity: geometry.capacity, backing: backing)
                Issue.record("\(geometry.testDescription) was accepted")
            } catch {
                #expect(error.errno == EINVAL)
                #expect(error.operation.hasPrefix("simulated namespace \(geometry.nsid):"))
            }
        }
    }

    @Test(arguments: [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536])
    func everyPowerOfTwoLBASizeWorks(lbaSize: Int) throws {
        let namespace = try SimulatedNamespace(nsid: 7, lbaSize: lbaSize, capacity: 16, backing: .memory)
        #expect(namespace.nsid == 7 && namespace.capacity == 16 && namespace.lbaSize == lbaSize)
        #expect(namespace.byteCount == 16 * lbaSize)
        let bytes = namespacePattern(firstLBA: 15, blocks: 1, lbaSize: lbaSize)
        #expect(namespaceWriteBytes(namespace, at: 15, bytes) == .success)
        #expect(namespaceReadDifference(namespace, at: 15, blocks: 1, expected: bytes) == nil)
    }

    @Test(arguments: NamespaceTestBacking.allCases)
    func writeThenReadReturnsTheBytes(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let bytes = namespacePattern(firstLBA: 10, blocks: 3, lbaSize: 512)
        #expect(namespaceWriteBytes(namespace, at: 10, bytes) == .success)
        let last = namespacePattern(firstLBA: 1023, blocks: 1, lbaSize: 512)
        #expect(namespaceWriteBytes(namespace, at: 1023, last) == .success)

        let zeroBlock = [UInt8](repeating: 0, count: 512)
        // A discard namespace stores nothing: everything reads as zeroes.
        let expected = backing == .discard ? [UInt8](repeating: 0, count: 5 * 512) : zeroBlock + bytes + zeroBlock
        #expect(namespaceReadDifference(namespace, at: 9, blocks: 5, expected: expected) == nil)
        #expect(namespaceReadDifference(namespace, at: 1023, blocks: 1, expected: backing == .discard ? zeroBlock : last) == nil)
    }

    enum ZeroingCommand: String, CaseIterable, Sendable { case writeZeroes, deallocate }

    @Test(arguments: NamespaceTestBacking.allCases, ZeroingCommand.allCases)
    func zeroingReadsBackZeroesAndKeepsNeighbours(backing: NamespaceTestBacking, command: ZeroingCommand) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let bytes = namespacePattern(firstLBA: 0, blocks: 40, lbaSize: 512)
        #expect(namespaceWriteBytes(namespace, at: 0, bytes) == .success)
        // LBAs 5..<35: crosses 4 KiB page and filesystem block boundaries
        // with partial pages at both ends.
        let status = switch command {
        case .writeZeroes: namespace.writeZeroes(startingLBA: 5, blockCount: 30)
        case .deallocate: namespace.deallocate(startingLBA: 5, blockCount: 30)
        }
        #expect(status == .success)

        var expected = bytes
        for index in 5 * 512 ..< 35 * 512 { expected[index] = 0 }
        if backing == .discard { expected = [UInt8](repeating: 0, count: bytes.count) }
        #expect(namespaceReadDifference(namespace, at: 0, blocks: 40, expected: expected) == nil)
    }

    @Test(arguments: NamespaceTestBacking.allCases)
    func zeroBlocksIsInvalidField(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let data = [UInt8](repeating: 1, count: 512)
        #expect(namespace.checkRange(startingLBA: 0, blockCount: 0) == .invalidFieldInCommand)
        #expect(data.withUnsafeBytes { namespace.write(startingLBA: 0, blockCount: 0, data: $0) } == .invalidFieldInCommand)
        #expect(namespace.writeZeroes(startingLBA: 0, blockCount: 0) == .invalidFieldInCommand)
        #expect(namespace.deallocate(startingLBA: 0, blockCount: 0) == .invalidFieldInCommand)
        #expect(namespaceReadBytes(namespace, at: 0, blocks: 0).0 == .invalidFieldInCommand)
    }

    struct LBARange: Sendable, CustomTestStringConvertible {
        var start: UInt64
        var count: UInt32
        var testDescription: String { "\(count) at \(start)" }
    }

    @Test(arguments: NamespaceTestBacking.allCases, [
        LBARange(start: 1024, count: 1), LBARange(start: 1023, count: 2), LBARange(start: 0, count: 1025),
        LBARange(start: UInt64.max, count: 2), LBARange(start: UInt64.max - 1, count: UInt32.max),
        LBARange(start: 1 << 63, count: 1),
    ])
    func rangesPastTheEndAreLBAOutOfRange(backing: NamespaceTestBacking, range: LBARange) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let big = [UInt8](repeating: 1, count: 2 * 512)
        #expect(namespace.checkRange(startingLBA: range.start, blockCount: range.count) == .lbaOutOfRange)
        // Range before buffer: a short buffer does not change the answer.
        #expect(big.withUnsafeBytes { namespace.write(startingLBA: range.start, blockCount: range.count, data: $0) } == .lbaOutOfRange)
        #expect(namespace.writeZeroes(startingLBA: range.start, blockCount: range.count) == .lbaOutOfRange)
        #expect(namespace.deallocate(startingLBA: range.start, blockCount: range.count) == .lbaOutOfRange)
        var buffer = [UInt8](repeating: 0, count: 2 * 512)
        #expect(buffer.withUnsafeMutableBytes { namespace.read(startingLBA: range.start, blockCount: range.count, into: $0) } == .lbaOutOfRange)
    }

    @Test(arguments: NamespaceTestBacking.allCases)
    func rangesEndingAtTheCapacityAreAccepted(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        #expect(namespace.checkRange(startingLBA: 1023, blockCount: 1) == .success)
        #expect(namespace.checkRange(startingLBA: 0, blockCount: 1024) == .success)
        #expect(namespace.deallocate(startingLBA: 0, blockCount: 1024) == .success)
        #expect(namespaceReadBytes(namespace, at: 0, blocks: 1024).0 == .success)
    }

    @Test(arguments: NamespaceTestBacking.allCases)
    func shortBuffersAreInvalidField(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let short = [UInt8](repeating: 0xAB, count: 2 * 512 - 1)
        #expect(short.withUnsafeBytes { namespace.checkWrite(startingLBA: 4, blockCount: 2, data: $0) } == .invalidFieldInCommand)
        #expect(short.withUnsafeBytes { namespace.write(startingLBA: 4, blockCount: 2, data: $0) } == .invalidFieldInCommand)
        var shortRead = [UInt8](repeating: 0, count: 2 * 512 - 1)
        #expect(shortRead.withUnsafeMutableBytes { namespace.read(startingLBA: 4, blockCount: 2, into: $0) } == .invalidFieldInCommand)
        // The rejected write stored nothing, not even its first block.
        #expect(namespaceReadDifference(namespace, at: 4, blocks: 2, expected: [UInt8](repeating: 0, count: 2 * 512)) == nil)
        // Longer buffers are fine: only the first blockCount blocks count.
        let long = [UInt8](repeating: 0xCD, count: 3 * 512)
        #expect(long.withUnsafeBytes { namespace.write(startingLBA: 4, blockCount: 2, data: $0) } == .success)
        #expect(namespaceReadDifference(namespace, at: 6, blocks: 1, expected: [UInt8](repeating: 0, count: 512)) == nil)
    }

    @Test(arguments: NamespaceTestBacking.allCases)
    func missingDataIsInvalidFieldExceptForDiscard(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, in: directory)
        let expected: NVMeStatus = backing == .discard ? .success : .invalidFieldInCommand
        #expect(namespace.checkWrite(startingLBA: 0, blockCount: 8, data: nil) == expected)
        #expect(namespace.write(startingLBA: 0, blockCount: 8, data: nil) == expected)
        // The range is still checked first.
        #expect(namespace.write(startingLBA: 1020, blockCount: 8, data: nil) == .lbaOutOfRange)
    }

    @Test(arguments: [NamespaceTestBacking.memory, .file])
    func concurrentWritersToDisjointRangesAllLand(backing: NamespaceTestBacking) throws {
        let directory = try NamespaceScratchDirectory()
        let namespace = try namespaceForTest(backing, lbaSize: 512, capacity: 4096, in: directory)
        let writers = 4
        let slice = 4096 / writers
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            // Each writer fills its slice with 8-block writes, last to first,
            // so the writers' offsets interleave through the whole namespace.
            for chunk in stride(from: slice - 8, through: 0, by: -8) {
                let lba = UInt64(writer * slice + chunk)
                let bytes = namespacePattern(firstLBA: lba, blocks: 8, lbaSize: 512, seed: UInt8(writer))
                if namespaceWriteBytes(namespace, at: lba, bytes) != .success { failures.withLock { $0 += 1 } }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        for writer in 0 ..< writers {
            let first = UInt64(writer * slice)
            let expected = namespacePattern(firstLBA: first, blocks: slice, lbaSize: 512, seed: UInt8(writer))
            #expect(namespaceReadDifference(namespace, at: first, blocks: slice, expected: expected) == nil, "writer \(writer)")
        }
    }
}
