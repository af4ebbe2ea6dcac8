import CDQMigration
import CDQMigrationSimulator
import CDQSimulator
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A final copy is a snapshot only if the controller stayed suspended
/// through it: one that resumes meanwhile (as a kernel's reset after a
/// timed-out read makes it) fails the migration, even with --verify off.
@Suite struct SuspendedSnapshotTests {
    @Test func aControllerThatResumesDuringTheFinalCopyFailsTheMigration() throws {
        let directory = TemporaryDirectory()
        var setup = SimulatedMigrationSetup(namespaceBytes: 8 << 20, directory: directory.path)
        setup.writers = 1
        setup.writesPerSecond = 1000
        let migration = try SimulatedMigration(setup)
        // The check before the final copy sees "suspended"; then the controller resumes.
        migration.subsystem.faults.resumeAfterNextStateRead()
        #expect {
            _ = try migration.migrate(to: "\(directory.path)/destination.img")
        } throws: { error in
            guard let error = error as? MigrationError, case .controller(let text) = error.cause else { return false }
            return text.contains("no longer suspended after the final copy") && text.contains("not a consistent copy")
        }
        #expect(!migration.controller.isSuspended, "the source runs")
        #expect(migration.controller.queueSnapshot == nil, "the queue was deleted")
    }

    /// A read that fails while the controller is suspended (on a real
    /// device: one through the suspended controller, timed out) fails the
    /// migration and says what such a failure usually means.
    @Test func aReadFailureDuringTheFinalCopyNamesTheLikelyCause() throws {
        let directory = TemporaryDirectory()
        var setup = SimulatedMigrationSetup(namespaceBytes: 32 << 20, directory: directory.path)
        setup.writers = 2
        setup.writesPerSecond = 2000
        let migration = try SimulatedMigration(setup)
        var broken = false
        #expect {
            _ = try migration.migrate(to: "\(directory.path)/destination.img") { progress in
                guard progress.phase == .suspended, !broken else { return }
                broken = true
                migration.stopWriters()
                truncate(migration.sourcePath, 1 << 20)
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .io(let place, _) = error.cause else { return false }
            return place.contains("while the controller was suspended") && place.contains("--source")
        }
        #expect(broken)
        #expect(!migration.controller.isSuspended, "resumed")
    }
}
