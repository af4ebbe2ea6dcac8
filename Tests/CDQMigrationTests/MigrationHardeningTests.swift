import CDQMigration
@testable import CDQMigrationSimulator
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a migration must never do to a user's data, whatever it is given:
/// touch an existing destination before its settings were checked, share a
/// destination with another migration, or wait out a LAST entry that cannot come.
@Suite(.serialized) struct MigrationHardeningTests {
    static let mebibyte = MigrationEndToEndTests.mebibyte

    func setup(_ directory: TemporaryDirectory, megabytes: UInt64, rate: Double, entries: UInt32 = 4096) -> SimulatedMigrationSetup {
        MigrationEndToEndTests().setup(directory, megabytes: megabytes, rate: rate, entries: entries)
    }

    @Test(arguments: [
        MigrationConfiguration(copier: CopierConfiguration(depth: 0)),
        MigrationConfiguration(copier: CopierConfiguration(chunkBytes: 1000)),
        MigrationConfiguration(granularityBytes: 3000),
    ])
    func aBadSettingLeavesAnExistingDestinationUntouched(configuration: MigrationConfiguration) throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 4, rate: 1000))
        let original = (0 ..< 65_536).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let destination = directory.file("destination.img", bytes: original)
        #expect(throws: MigrationError.self) { _ = try migration.migrator(to: destination, configuration: configuration) }
        let untouched = directory.contents(destination) == original
        #expect(untouched, "the destination was not resized or written")
    }

    @Test func aSecondMigrationToTheSameDestinationIsRefusedAndLeavesItAlone() throws {
        let directory = TemporaryDirectory()
        let first = try SimulatedMigration(setup(directory, megabytes: 4, rate: 1000))
        let destination = "\(directory.path)/destination.img"
        let holder = try first.migrator(to: destination)
        let other = TemporaryDirectory()
        let second = try SimulatedMigration(setup(other, megabytes: 8, rate: 1000))
        #expect {
            _ = try second.migrator(to: destination)
        } throws: { error in
            "\(error)".contains("\(destination) is locked by process \(getpid())")
        }
        #expect(directory.contents(destination).count == 4 << 20, "not resized to the second namespace")
        withExtendedLifetime(holder) {}
    }

    /// The smallest queue under unthrottled writers, and a controller that
    /// refuses the head updates from the end of the bulk copy on: the queue
    /// is full when the controller suspends, so the LAST entry cannot be
    /// posted. The migrator learns that from the controller state instead
    /// of waiting out its timeout, and copies everything while suspended.
    @Test func aLastEntryThatCannotArriveEndsThroughTheControllerState() throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 8, rate: 1e12, entries: ControllerDataQueue.minimumEntries))
        let destination = "\(directory.path)/destination.img"
        let faults = migration.subsystem.faults
        // A timeout no test waits out: the run must not depend on it.
        let configuration = MigrationConfiguration(maximumRounds: 0, lastEntryTimeoutNanoseconds: 60_000_000_000)
        let report = try migration.migrate(to: destination, configuration: configuration) { progress in
            guard progress.phase == .bulk, progress.copiedBytes == progress.phaseBytes else { return }
            faults.failNextAdminCommands(1000, with: .internalError, opcode: AdminOpcode.setFeatures.rawValue)
            // Once one head update failed, none in flight can still free the
            // queue (the controller runs them in order): full from then on.
            for _ in 0 ..< 5000 where faults.statistics.adminCommandsFailed == 0 { usleep(1000) }
            for _ in 0 ..< 5000 where migration.controller.queueSnapshot?.full != true { usleep(1000) }
            #expect(migration.controller.queueSnapshot?.full == true)
        }
        #expect(report.downtimeNanoseconds < 30_000_000_000, "does not wait for the LAST entry's timeout")
        #expect(report.lastEntryMissing)
        #expect(report.suspendConfirmedByControllerState, "finished through Migration Receive, not the timeout")
        #expect(report.finalBytes == 8 * Self.mebibyte, "everything copied while suspended")
        #expect(sameContents(migration.sourcePath, destination))
    }
}

/// A target whose writes fail from the `failingFrom`-th on, counting them.
final class FailingTarget: IOTarget, @unchecked Sendable {
    // @unchecked: used from one thread.
    let failingFrom: Int
    private(set) var writes = 0

    init(failingFrom: Int) { self.failingFrom = failingFrom }

    func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        writes += 1
        return writes >= failingFrom ? .dataTransferError : .success
    }
    func writeZeroes(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus { .success }
    func deallocate(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus { .success }
    func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus { .success }
}

@Test func prefillStopsOnTheFirstWriteError() throws {
    let target = FailingTarget(failingFrom: 3)
    // 1 GiB of 512-byte blocks: 1,024 writes of 1 MiB if nothing stopped it.
    #expect {
        try SimulatedMigration.prefill(target, nsid: 1, capacity: 2 << 20, lbaSize: 512, seed: 1)
    } throws: { error in
        "\(error)".contains("prefilling the simulated namespace failed")
    }
    #expect(target.writes == 3, "no write after the first that failed")
}

extension MigrationHardeningTests {
    /// `cancel()` in each phase ends the same way: `.cancelled`, the source
    /// running again, its queue deleted, whatever phase the call came in.
    @Test(arguments: ["bulk", "round", "suspended", "verifying"])
    func aCancellationIsHonouredInEveryPhase(phase: String) throws {
        let directory = TemporaryDirectory()
        let migration = try SimulatedMigration(setup(directory, megabytes: 16, rate: 4000))
        let controller = migration.controller
        try migration.startWriters()
        defer { migration.stopWriters() }
        // Threshold 0: there are rounds; verify: there is a verification.
        let migrator = try migration.migrator(
            to: "\(directory.path)/destination.img", configuration: MigrationConfiguration(backlogThresholdBytes: 0, verify: true))
        var cancelledIn: String?
        #expect {
            _ = try migrator.run { progress in
                let name = switch progress.phase {
                case .bulk: "bulk"
                case .round: "round"
                case .suspended: "suspended"
                case .verifying: "verifying"
                }
                guard name == phase, cancelledIn == nil else { return }
                cancelledIn = name
                migrator.cancel()
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .abandoned(.cancelled, let undone) = error else { return false }
            return undone.contains("controller 1")
        }
        #expect(cancelledIn == phase)
        #expect(!controller.isSuspended, "the source runs again")
        #expect(controller.queueSnapshot == nil, "the queue was deleted")
    }
}
