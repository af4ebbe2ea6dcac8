import CDQEngine
import CDQMigration
import CDQMigrationSimulator
import CDQNVMe
import CDQSimulator
import CDQTestSupport
import CDQUring
import Testing

/// Whole migrations on a simulated controller that misbehaves: hostile
/// entries go through the engine and the migrator and the destination
/// still verifies; a queue the controller loses stops the migration in
/// bounded time with the source running.
@Suite(.serialized) struct HostileControllerMigrationTests {
    func setup(_ directory: TemporaryDirectory) -> SimulatedMigrationSetup {
        var setup = SimulatedMigrationSetup(namespaceBytes: 16 << 20, directory: directory.path)
        setup.writers = 2
        setup.writesPerSecond = 2000
        return setup
    }

    @Test func everyHostileEntryIsCountedAndTheDestinationStillVerifies() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory))
        let catalogue = HostileEntry.catalogue(capacity: migration.capacity, lba: 100)
        var posted = false
        let report = try migration.migrate(to: "\(directory.path)/destination.img",
                                           configuration: MigrationConfiguration(verify: true)) { progress in
            guard progress.phase == .bulk, progress.copiedBytes >= progress.phaseBytes / 2, !posted else { return }
            posted = true
            for hostile in catalogue { #expect(migration.controller.postHostileEntry(hostile.entry), "\(hostile)") }
            // And a tail that skips a slot; the writers fill the slots after it.
            #expect(migration.controller.skipQueueSlot())
        }
        #expect(posted)
        #expect(report.verified == true)
        var expected: [String: Int] = ["tail_jump": 1]
        for hostile in catalogue { expected[hostile.problem, default: 0] += 1 }
        #expect(report.untrustedEntries == expected)
        #expect(migration.engine.statistics.totals.problems == UInt64(catalogue.count + 1), "the engine found each one first")
    }

    @Test(arguments: ["deleted by the controller", "controller reset"])
    func aLostQueueStopsTheMigrationWithTheSourceRunning(_ how: String) throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory))
        let start = MonotonicClock.nanoseconds()
        var lost = false
        #expect {
            _ = try migration.migrate(to: "\(directory.path)/destination.img") { progress in
                guard progress.phase == .bulk, progress.copiedBytes >= progress.phaseBytes / 2, !lost else { return }
                lost = true
                if how == "controller reset" { migration.subsystem.resetController(cntlid: 1) } else {
                    migration.subsystem.deleteQueueBehindTheHost(cntlid: 1)
                }
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .queueLost = error.cause else { return false }
            return "\(error)".contains("the destination is incomplete")
        }
        #expect(lost)
        #expect(MonotonicClock.nanoseconds() - start < 20_000_000_000, "bounded")
        #expect(!migration.controller.isSuspended, "the source runs")
    }
}
