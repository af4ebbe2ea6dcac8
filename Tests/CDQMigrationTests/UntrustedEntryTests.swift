import CDQEngine
import CDQMigration
import CDQNVMe
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A record the migrator cannot apply exactly must never be skipped: the
/// source really changed where the record says (or somewhere it cannot
/// say), so the whole namespace is copied again.
@Suite struct UntrustedEntryTests {
    static let blocks: UInt64 = 8192
    static let changed: UInt64 = 100

    /// One hostile record, delivered right after the bulk copy passed the
    /// blocks the source then changes (LBA 100..<108): the destination is
    /// stale there unless the migrator copies again.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var entry: MigrationQueueEntry
        var kind: CDQRecord.Kind = .entry
        var detail: UInt8 = 0
        var cdqid: UInt16?
        var untrusted: String
    }

    static let cases: [Case] = HostileEntry.catalogue(capacity: blocks, lba: changed).map {
        Case(description: $0.label, entry: $0.entry, untrusted: $0.problem)
    } + [
        Case(description: "another CDQID", entry: change(), cdqid: 99, untrusted: "other_queue"),
        Case(description: "LAST (logging stopped) nobody asked for", entry: .marker(.lastLoggingStopped, phaseTag: true),
             untrusted: "unexpected_last"),
        Case(description: "a second FIRST", entry: .marker(.first, phaseTag: true), untrusted: "unexpected_first"),
        Case(description: "LAST (suspended) before the suspend", entry: .marker(.lastControllerSuspended, phaseTag: true),
             untrusted: "unexpected_last"),
        Case(description: "the engine's problem record", entry: change(), kind: .problem,
             detail: RecordProblem.tailJump.rawValue, untrusted: "tail_jump"),
    ]

    static func change() -> MigrationQueueEntry {
        MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: changed, phaseTag: true)
    }

    func migrate(_ hostile: Case, _ directory: TemporaryDirectory, policy: UntrustedEntryPolicy = .resync) throws -> (MigrationReport, String, String, ScriptedController) {
        var bytes = [UInt8](repeating: 0, count: Int(Self.blocks) * 512)
        bytes.withUnsafeMutableBytes { block in
            for lba in 0..<Int(Self.blocks) { block.storeBytes(of: UInt64(lba), toByteOffset: lba * 512, as: UInt64.self) }
        }
        let source = directory.file("source.img", bytes: bytes)
        let destination = "\(directory.path)/destination.img"
        let controller = try ScriptedController()
        var configuration = MigrationConfiguration(
            copier: CopierConfiguration(depth: 4, chunkBytes: 64 << 10), directDestination: false, verify: false)
        configuration.onUntrusted = policy
        let migrator = try Migrator(controller: controller, sourcePath: source, destinationPath: destination,
                                    lbaSize: 512, capacity: Self.blocks, configuration: configuration)
        var injected = false
        let report = try migrator.run { progress in
            guard progress.phase == .bulk, progress.copiedBytes == progress.phaseBytes, !injected else { return }
            injected = true
            let descriptor = open(source, O_WRONLY)
            let stamp = [UInt8](repeating: 0xEE, count: 8 * 512)
            _ = stamp.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(Self.changed * 512)) }
            close(descriptor)
            controller.deliver(hostile.entry, kind: hostile.kind, detail: hostile.detail, cdqid: hostile.cdqid)
        }
        #expect(injected)
        return (report, source, destination, controller)
    }

    @Test(arguments: cases)
    func eachUntrustedRecordIsCountedAndTheNamespaceCopiedAgain(_ hostile: Case) throws {
        let directory = TemporaryDirectory()
        let (report, source, destination, _) = try migrate(hostile, directory)
        #expect(sameContents(source, destination), "the destination has the changed blocks")
        #expect(report.untrustedEntries == [hostile.untrusted: 1])
        #expect(report.recopiedBytes >= Self.blocks * 512, "the whole namespace copied again")
    }

    @Test func abortStopsWithTheSourceResumed() throws {
        let directory = TemporaryDirectory()
        let hostile = Self.cases[0]
        #expect {
            _ = try migrate(hostile, directory, policy: .abort)
        } throws: { error in
            guard let error = error as? MigrationError, case .untrusted = error.cause else { return false }
            return "\(error)".contains("reserved_esa") && "\(error)".contains("controller was not suspended")
        }
    }
}
