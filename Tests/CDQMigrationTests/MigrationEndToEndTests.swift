import CDQMigration
import CDQMigrationSimulator
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whole migrations on the simulator: the engine drains the controller's
/// CDQ into the migrator's dirty map while random writers keep writing, and
/// the copy engine copies the namespace file to a destination file.
@Suite(.serialized) struct MigrationEndToEndTests {
    static let mebibyte: UInt64 = 1 << 20

    func setup(_ directory: TemporaryDirectory, megabytes: UInt64, rate: Double, entries: UInt32 = 4096) -> SimulatedMigrationSetup {
        var setup = SimulatedMigrationSetup(namespaceBytes: megabytes * Self.mebibyte, directory: directory.path)
        setup.writers = 4
        setup.writesPerSecond = rate
        setup.queueEntries = entries
        return setup
    }

    @Test func aNamespaceUnderRandomWritesEndsByteIdentical() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 256, rate: 4000))
        let destination = "\(directory.path)/destination.img"
        let report = try migration.migrate(to: destination)
        let writes = migration.writers.reduce(0) { $0 + $1.statistics.writes }

        #expect(migration.controller.isSuspended)
        #expect(report.bulkBytes == 256 * Self.mebibyte)
        #expect(writes > 0 && report.loggedEntries > 0, "the writers wrote during the migration")
        #expect(report.recopiedBytes > 0)
        #expect(!report.overflowed)
        #expect(!report.lastEntryMissing, "the LAST (suspended) entry arrived")
        #expect(sameContents(migration.sourcePath, destination))
    }

    @Test func anOverflowMidWayFallsBackToAFullRecopyAndStillEndsIdentical() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 256, rate: 4000, entries: 64))
        let destination = "\(directory.path)/destination.img"
        let faults = migration.subsystem.faults
        var stalled = false
        let report = try migration.migrate(to: destination) { progress in
            // Halfway through the bulk copy the controller stops taking head
            // updates for a while: a 64-entry queue fills, changes are lost.
            if progress.phase == .bulk, !stalled, progress.copiedBytes >= progress.phaseBytes / 2 {
                stalled = true
                faults.stall(forNanoseconds: 300_000_000)
            }
        }
        #expect(stalled)
        #expect(report.overflowed)
        #expect(report.recopiedBytes >= 256 * Self.mebibyte, "the whole namespace was copied again")
        #expect(sameContents(migration.sourcePath, destination))
    }

    @Test func aRejectedSuspendIsAClearErrorAndLeavesTheSourceRunningAndUntouched() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 32, rate: 4000))
        let snapshot = "\(directory.path)/snapshot.img"
        var injected = false
        let controller = migration.controller
        #expect {
            _ = try migration.migrate(to: "\(directory.path)/destination.img") { progress in
                guard progress.phase == .bulk, progress.copiedBytes == progress.phaseBytes, !injected else { return }
                injected = true
                // Writers stop and the engine hands every entry back; then the
                // next admin command, the suspend, fails.
                migration.stopWriters()
                let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
                while controller.queueSnapshot?.outstanding != 0 && MonotonicClock.nanoseconds() < deadline {
                    MonotonicClock.sleep(nanoseconds: 1_000_000)
                }
                copyFile(migration.sourcePath, to: snapshot)
                migration.subsystem.faults.failNextAdminCommands(1, with: .internalError, opcode: AdminOpcode.migrationSend.rawValue)
            }
        } throws: { error in
            let text = "\(error)"
            return text.contains("Migration Send suspend of controller 1 was rejected")
                && text.contains("controller 1 was not suspended") && text.contains("queue deleted")
        }
        #expect(injected)
        #expect(!controller.isSuspended, "the source keeps running")
        #expect(controller.queueSnapshot == nil, "the queue was deleted")
        #expect(sameContents(migration.sourcePath, snapshot), "the source was not written")
        var block = [UInt8](repeating: 1, count: 512)
        let status = block.withUnsafeMutableBytes {
            controller.write(nsid: 1, startingLBA: 0, blockCount: 1, data: UnsafeRawBufferPointer($0))
        }
        #expect(status == .success, "the guest can still write")
    }
}

extension MigrationEndToEndTests {
    /// The source shrinks under the copy as a phase starts (writers stopped
    /// first, or their writes would grow it back): reads past 1 MiB find
    /// end of file. During the bulk copy the controller was never
    /// suspended; during the final copy it was, and is resumed.
    @Test(arguments: [
        (MigrationProgress.Phase.bulk, "controller 1 was not suspended, logging stopped and the queue deleted"),
        (MigrationProgress.Phase.suspended, "controller 1 resumed"),
    ])
    func aReadErrorStopsTheMigrationAndPutsTheControllerBack(phase: MigrationProgress.Phase, undone: String) throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 32, rate: 2000))
        var broken = false
        #expect {
            _ = try migration.migrate(to: "\(directory.path)/destination.img") { progress in
                guard progress.phase == phase, !broken else { return }
                broken = true
                migration.stopWriters()
                truncate(migration.sourcePath, 1 << 20)
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .io = error.cause else { return false }
            let text = "\(error)"
            return text.contains("read \(migration.sourcePath) at byte") && text.contains("EIO")
                && text.hasSuffix(undone)
        }
        #expect(broken)
        #expect(!migration.controller.isSuspended)
        #expect(migration.controller.queueSnapshot == nil)
    }
}

extension MigrationEndToEndTests {
    /// Verification is real: a destination changed after the copy is
    /// caught, named by chunk, and the source resumes.
    @Test func aDestinationThatDiffersFailsVerificationAndTheSourceResumes() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 16, rate: 2000))
        let destination = "\(directory.path)/destination.img"
        var configuration = MigrationConfiguration()
        configuration.verify = true
        #expect {
            _ = try migration.migrate(to: destination, configuration: configuration) { progress in
                guard progress.phase == .verifying else { return }
                let descriptor = open(destination, O_WRONLY)
                var byte: UInt8 = 0xA5
                _ = pwrite(descriptor, &byte, 1, off_t(5 << 20) + 17)
                close(descriptor)
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .verification = error.cause else { return false }
            return "\(error)".contains("in bytes 5242880..<6291456") && "\(error)".hasSuffix("controller 1 resumed")
        }
        #expect(!migration.controller.isSuspended)
    }
}

/// A plain copy of a file, for snapshots in tests.
func copyFile(_ source: String, to destination: String) {
    let input = open(source, O_RDONLY), output = open(destination, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer { close(input); close(output) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if got <= 0 { return }
        _ = buffer.withUnsafeBytes { write(output, $0.baseAddress, got) }
    }
}

extension MigrationEndToEndTests {
    /// `cancel()` from another thread mid-copy: the migration stops between
    /// batches and leaves the source running, logging stopped, queue deleted.
    @Test func aCancelledMigrationUndoesItselfAndLeavesTheSourceRunning() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 64, rate: 2000))
        let controller = migration.controller
        try migration.startWriters()
        defer { migration.stopWriters() }
        let migrator = try migration.migrator(to: "\(directory.path)/destination.img")
        // Another thread asks, as a signal watcher would, once the bulk copy
        // runs; joined at once, so the request lands inside the bulk copy
        // however fast the copy is (a loaded machine could otherwise start
        // the thread only after the suspend).
        var canceller: OSThread?
        #expect {
            _ = try migrator.run { progress in
                guard progress.phase == .bulk, progress.copiedBytes > 0, canceller == nil else { return }
                canceller = try? OSThread(name: "canceller") { migrator.cancel() }
                canceller?.join()
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .abandoned(.cancelled, let undone) = error else { return false }
            return undone.contains("was not suspended") && undone.contains("queue deleted")
        }
        #expect(canceller != nil, "cancelled during the bulk copy")
        #expect(!controller.isSuspended, "the source keeps running")
        #expect(controller.queueSnapshot == nil, "the queue was deleted")
        #expect(migration.subsystem.queueIDs.isEmpty)
    }
}
