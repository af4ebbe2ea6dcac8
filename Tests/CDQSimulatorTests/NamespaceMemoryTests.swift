import CDQNVMe
import CDQSimulator
import Foundation
import Testing

/// Resident set size of this process in bytes, from /proc/self/statm.
func namespaceResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return -1 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite struct NamespaceMemoryTests {
    @Test func aGibibyteNamespaceCostsOnlyWhatIsWritten() throws {
        let before = namespaceResidentBytes()
        let namespace = try SimulatedNamespace(nsid: 1, lbaSize: 4096, capacity: 1 << 18, backing: .memory)
        #expect(namespace.byteCount == 1 << 30)
        let last = namespacePattern(firstLBA: (1 << 18) - 1, blocks: 1, lbaSize: 4096)
        #expect(namespaceWriteBytes(namespace, at: (1 << 18) - 1, last) == .success)
        #expect(namespaceReadDifference(namespace, at: (1 << 18) - 1, blocks: 1, expected: last) == nil)
        #expect(namespaceReadDifference(namespace, at: 1 << 17, blocks: 1, expected: [UInt8](repeating: 0, count: 4096)) == nil)
        // Generous: other tests run in this process at the same time; a
        // namespace that touched its whole gibibyte would be far above.
        let grown = namespaceResidentBytes() - before
        #expect(grown < 128 << 20, "resident set grew by \(grown) bytes")
    }

    @Test func deallocateGivesPagesBack() throws {
        let namespace = try SimulatedNamespace(nsid: 1, lbaSize: 4096, capacity: 16384, backing: .memory)
        let bytes = [UInt8](repeating: 0x5A, count: 64 << 20)
        #expect(namespaceWriteBytes(namespace, at: 0, bytes) == .success)
        let written = namespaceResidentBytes()
        #expect(namespace.deallocate(startingLBA: 0, blockCount: 16384) == .success)
        let released = written - namespaceResidentBytes()
        #expect(released > 32 << 20, "only \(released) bytes returned")
        #expect(namespaceReadDifference(namespace, at: 16383, blocks: 1, expected: [UInt8](repeating: 0, count: 4096)) == nil)
    }

    struct ZeroedRange: Sendable, CustomTestStringConvertible {
        var start: UInt64
        var count: UInt32
        var testDescription: String { "LBAs \(start)..<\(start + UInt64(count))" }
    }

    // With 512-byte LBAs a 4 KiB page holds 8: ranges with partial pages at
    // one end, both ends, none, and inside a single page.
    @Test(arguments: [
        ZeroedRange(start: 3, count: 58), ZeroedRange(start: 8, count: 8), ZeroedRange(start: 8, count: 11),
        ZeroedRange(start: 5, count: 11), ZeroedRange(start: 1, count: 1), ZeroedRange(start: 0, count: 64),
    ])
    func zeroingKeepsEveryByteOutsideTheRange(range: ZeroedRange) throws {
        let namespace = try SimulatedNamespace(nsid: 1, lbaSize: 512, capacity: 64, backing: .memory)
        let bytes = namespacePattern(firstLBA: 0, blocks: 64, lbaSize: 512)
        #expect(namespaceWriteBytes(namespace, at: 0, bytes) == .success)
        #expect(namespace.deallocate(startingLBA: range.start, blockCount: range.count) == .success)
        var expected = bytes
        for index in Int(range.start) * 512 ..< (Int(range.start) + Int(range.count)) * 512 { expected[index] = 0 }
        #expect(namespaceReadDifference(namespace, at: 0, blocks: 64, expected: expected) == nil)
    }
}
