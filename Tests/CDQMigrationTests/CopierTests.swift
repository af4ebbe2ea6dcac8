@testable import CDQMigration
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The io_uring copier: what it copies, with any depth and chunk size, and
/// what it says when a read fails.
@Suite struct CopierTests {
    @Test(arguments: [(1, 4096), (3, 8192), (32, 1 << 20)])
    func copiesExactlyTheRangesAsked(depth: Int, chunkBytes: Int) throws {
        let directory = TemporaryDirectory()
        var random = SplitMix64(seed: UInt64(depth))
        var bytes = [UInt8](repeating: 0, count: 3 << 20)
        random.fill(&bytes)
        let sourcePath = directory.file("source", bytes: bytes)
        let source = try BlockFile(path: sourcePath, access: .read)
        let destination = try BlockFile(path: "\(directory.path)/destination", access: .write(byteCount: source.byteCount))
        let copier = try Copier(source: source, destination: destination,
                                configuration: CopierConfiguration(depth: depth, chunkBytes: chunkBytes))
        let ranges = [ByteRange(offset: 100, count: 5000), ByteRange(offset: 1 << 20, count: 1_500_000),
                      ByteRange(offset: UInt64(bytes.count) - 7, count: 7)]
        var calls = 0
        let copied = try copier.copy(ranges) { calls += 1 }
        #expect(copied == 5000 + 1_500_000 + 7)
        #expect(calls > 0)
        let result = directory.contents(destination.path)
        #expect(result.count == bytes.count)
        for range in ranges {
            let slice = Int(range.offset) ..< Int(range.offset + range.count)
            #expect(result[slice] == bytes[slice])
        }
        // Untouched bytes stay zero.
        #expect(result[0 ..< 100].allSatisfy { $0 == 0 })
        #expect(result[5100 ..< 1 << 20].allSatisfy { $0 == 0 })
    }

    @Test func aSourceThatShrinksUnderTheCopyIsAnErrorNamingFileAndOffset() throws {
        let directory = TemporaryDirectory()
        let sourcePath = directory.file("source", bytes: [UInt8](repeating: 7, count: 1 << 20))
        let source = try BlockFile(path: sourcePath, access: .read)
        let destination = try BlockFile(path: "\(directory.path)/destination", access: .write(byteCount: source.byteCount))
        truncate(sourcePath, 4096) // behind the copier's back: reads past 4096 find end of file
        let copier = try Copier(source: source, destination: destination, configuration: CopierConfiguration(depth: 4, chunkBytes: 65536))
        #expect {
            try copier.copy([ByteRange(offset: 0, count: 1 << 20)])
        } throws: { error in
            "\(error)".contains("read \(sourcePath) at byte") && "\(error)".contains("EIO")
        }
    }

    @Test func badSettingsAreRefusedWithTheReason() throws {
        let directory = TemporaryDirectory()
        let sourcePath = directory.file("source", bytes: [1, 2, 3])
        let source = try BlockFile(path: sourcePath, access: .read)
        let destination = try BlockFile(path: "\(directory.path)/destination", access: .write(byteCount: 3))
        #expect { try Copier(source: source, destination: destination, configuration: CopierConfiguration(depth: 0)) }
            throws: { "\($0)" == "copy depth 0 is not in 1...1024" }
        #expect { try BlockFile(path: "\(directory.path)/missing", access: .read) }
            throws: { "\($0)".contains("ENOENT") }
    }
}
