import CDQTestSupport
import Foundation
import Testing

/// `cdqctl migrate` run the way a careless script would: every argument is
/// checked before anything is created, truncated or started; a signal is
/// honoured in every phase; a destination has one writer at a time.
@Suite struct MigrateHardeningTests {
    typealias Run = BuiltTool.Run

    /// A fresh directory, used as $TMPDIR of the runs and for destinations.
    final class Scratch {
        let path: String
        init(_ name: String) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// What a migration left in $TMPDIR.
        var leftovers: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix("cdqctl-migrate-") }
        }

        func file(_ name: String, bytes: [UInt8]) -> String {
            let file = "\(path)/\(name)"
            FileManager.default.createFile(atPath: file, contents: Data(bytes))
            return file
        }

        func contents(_ file: String) -> [UInt8] { [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()) }

        /// A Bool, not an array comparison: a failing `==` on megabytes would be diffed for ever.
        func unchanged(_ file: String, _ original: [UInt8]) -> Bool { contents(file) == original }
    }

    func cdqctl(_ arguments: [String], in scratch: Scratch) throws -> Run {
        try CDQCtlTests.tool.run(arguments, environment: ["TMPDIR": scratch.path])
    }

    @Test(arguments: [("--chunk-size", "9000000T"), ("--chunk-size", "18446744073709551615"), ("--granularity", "9000000T"),
                      ("--threshold", "18446744073709551616"), ("--namespace-size", "16777216T")])
    func aHugeSizeIsAUsageErrorAndLeavesNothingBehind(flag: String, value: String) throws {
        let scratch = try Scratch("huge")
        let run = try cdqctl(["migrate", "--simulate", "--namespace-size", "1M", flag, value,
                              "--destination", "\(scratch.path)/destination.img"], in: scratch)
        #expect(run.status == 64, "\(flag) \(value): \(run.stderr)")
        #expect(run.stderr.contains(flag), "the message names the flag: \(run.stderr)")
        #expect(scratch.leftovers.isEmpty, "left \(scratch.leftovers) in $TMPDIR")
        #expect(!FileManager.default.fileExists(atPath: "\(scratch.path)/destination.img"))
    }

    @Test func aThresholdOfZeroIsAccepted() throws {
        let scratch = try Scratch("threshold")
        let run = try cdqctl(["migrate", "--simulate", "--namespace-size", "2M", "--writers", "1", "--write-rate", "500",
                              "--threshold", "0", "--destination", "\(scratch.path)/destination.img", "--json"], in: scratch)
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test(arguments: [["--depth", "0"], ["--chunk-size", "1000"], ["--granularity", "3000"], ["--depth", "5000"]])
    func aBadSettingLeavesAnExistingDestinationUntouched(setting: [String]) throws {
        let scratch = try Scratch("untouched")
        let original = (0 ..< 65_536).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let destination = scratch.file("destination.img", bytes: original)
        for force in [[], ["--force"]] {
            let run = try cdqctl(["migrate", "--simulate", "--namespace-size", "1M", "--destination", destination] + setting + force,
                                 in: scratch)
            #expect(run.status == 64, "\(setting) \(force): \(run.stderr)")
            #expect(scratch.unchanged(destination, original), "\(setting) \(force): the destination was changed")
        }
        #expect(scratch.leftovers.isEmpty)
    }

    @Test func anExistingDestinationIsOverwrittenOnlyWithForce() throws {
        let scratch = try Scratch("force")
        let original = [UInt8](repeating: 0x5A, count: 4096)
        let destination = scratch.file("destination.img", bytes: original)
        let arguments = ["migrate", "--simulate", "--namespace-size", "1M", "--writers", "1", "--write-rate", "500",
                         "--destination", destination]
        let refused = try cdqctl(arguments, in: scratch)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("\(destination) exists and is not empty; give --force to overwrite it"), "\(refused.stderr)")
        #expect(scratch.unchanged(destination, original))
        let forced = try cdqctl(arguments + ["--force", "--verify"], in: scratch)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(scratch.contents(destination).count == 1 << 20)
    }

    @Test func aDestinationAnotherMigrationHoldsIsRefusedByName() throws {
        let scratch = try Scratch("locked")
        let original = [UInt8](repeating: 0x33, count: 4096)
        let destination = scratch.file("destination.img", bytes: original)
        // Held the way a running migration holds it.
        let holder = open(destination, O_RDWR)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX | LOCK_NB) == 0)
        let run = try cdqctl(["migrate", "--simulate", "--namespace-size", "1M", "--destination", destination, "--force"], in: scratch)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("\(destination) is locked by process \(getpid())"), "\(run.stderr)")
        #expect(scratch.unchanged(destination, original), "not resized or written")
        #expect(scratch.leftovers.isEmpty)
    }

    @Test func ctrlCDuringVerificationCancelsLikeEveryOtherPhase() throws {
        let scratch = try Scratch("verify")
        let run = try CDQCtlTests.tool.runInterrupted(
            ["migrate", "--simulate", "--namespace-size", "256M", "--writers", "1", "--write-rate", "500",
             "--destination", "\(scratch.path)/destination.img", "--verify", "--json"],
            after: "verifying", on: .stderr)
        #expect(run.status == 3, "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stderr.contains("SIGINT: cancelling"))
        #expect(run.stdout.contains("the migration was cancelled"), "stdout: \(run.stdout)")
        #expect(run.stdout.contains("controller 1 resumed"), "stdout: \(run.stdout)")
        #expect(!run.stdout.contains("\"verified\""))
    }

    @Test(arguments: [
        ["watch", "--simulate", "--cntlid", "1", "--seconds", "0.2", "--entries", "4"],
        ["migrate", "--simulate", "--namespace-size", "1M", "--destination", "/tmp/cdqctl-never-written.img", "--queue-entries", "4"],
        ["create-cdq", "/dev/null", "--cntlid", "1", "--entries", "4"],
    ])
    func aQueueTooSmallToDeliverIsRefusedWithTheReason(arguments: [String]) throws {
        let scratch = try Scratch("entries")
        let run = try cdqctl(arguments, in: scratch)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("must be 5...65536"), "\(run.stderr)")
        #expect(run.stderr.contains("FIRST, a change and a LAST"), "\(run.stderr)")
    }
}
