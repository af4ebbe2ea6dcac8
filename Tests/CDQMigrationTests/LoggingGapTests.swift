import CDQMigration
import CDQMigrationSimulator
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// Another admin client stops and restarts logging during a dirty round:
/// the writes in between are never logged. The migrator reads a LAST
/// (logging stopped) and a FIRST it did not cause, a gap in the log, and
/// must copy the whole namespace again.
@Suite(.serialized) struct LoggingGapTests {
    @Test func aTrackSendStopAndStartFromElsewhereMakesEverythingDirty() throws {
        let directory = TemporaryDirectory()
        var setup = SimulatedMigrationSetup(namespaceBytes: 32 << 20, directory: directory.path)
        setup.writers = 2
        setup.writesPerSecond = 4000
        let migration = try SimulatedMigration(setup)
        let other = try migration.runner.openChannel(depth: 4)
        let controller = migration.controller
        let cdqid = migration.source.cdqid
        let destination = "\(directory.path)/destination.img"
        // Rounds go on while anything is dirty, so round 1 certainly runs.
        let configuration = MigrationConfiguration(backlogThresholdBytes: 0, maximumRounds: 3, verify: false)
        var gap = false
        let report = try migration.migrate(to: destination, configuration: configuration) { progress in
            guard progress.phase == .round(1), !gap else { return }
            gap = true
            #expect(other.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .stop))).status == .success)
            var block = [UInt8](repeating: 0x5A, count: 512)
            for index in 0..<64 {
                let lba = UInt64(index) * 997 % migration.capacity
                let status = block.withUnsafeMutableBytes {
                    controller.write(nsid: 1, startingLBA: lba, blockCount: 1, data: UnsafeRawBufferPointer($0))
                }
                #expect(status == .success)
            }
            #expect(other.execute(AdminRequest(.trackSend(cdqid: cdqid, logging: .start))).status == .success)
        }
        #expect(gap, "a dirty round ran")
        #expect(sameContents(migration.sourcePath, destination), "the unlogged writes reached the destination")
        #expect(report.untrustedEntries["unexpected_last"] == 1 && report.untrustedEntries["unexpected_first"] == 1)
    }
}
