import CDQTestSupport
import Foundation
import Testing

/// The CLI's contract for scripts: exit status and the error text, on paths
/// that need no NVMe device (the guest run covers a real controller).
@Suite struct CDQCtlTests {
    typealias Run = BuiltTool.Run

    /// cdqctl is built beside the test bundle.
    static let tool = BuiltTool("cdqctl")

    func cdqctl(_ arguments: String...) throws -> Run { try Self.tool.run(arguments) }

    @Test func aPathThatIsNotNVMeExitsThreeWithTheReason() throws {
        let run = try cdqctl("identify", "/dev/null")
        #expect(run.status == 3)
        #expect(run.stderr == "cdqctl: /dev/null is not an NVMe character device (sysfs class: mem)\n")
        #expect(run.stdout.isEmpty)
    }

    @Test func errorsAreJSONWithJSON() throws {
        let run = try cdqctl("get-cdq", "/dev/nvme-missing", "--cdqid", "1", "--json")
        #expect(run.status == 3)
        #expect(run.stdout == #"{"error":"open /dev/nvme-missing: ENOENT (No such file or directory)"}"# + "\n")
    }

    @Test func conflictingFlagsAreAUsageError() throws {
        let run = try cdqctl("track-send", "/dev/nvme0", "--cdqid", "1", "--start", "--stop")
        #expect(run.status == 64)
        #expect(run.stderr.contains("give exactly one of --start or --stop"))
        let resume = try cdqctl("migration-send", "/dev/nvme0", "--cntlid", "1", "--resume", "--delete-queue")
        #expect(resume.status == 64)
        #expect(resume.stderr.contains("--notification and --delete-queue apply to --suspend only"))
    }

    @Test func outOfRangeValuesAreRefusedBeforeTouchingTheDevice() throws {
        let run = try cdqctl("create-cdq", "/dev/null", "--cntlid", "1", "--entries", "1")
        #expect(run.status == 64)
        #expect(run.stderr.contains("--entries must be 5...65536"))
        let size = try cdqctl("migration-recv", "/dev/null", "--cntlid", "1", "--size", "6")
        #expect(size.status == 64)
        #expect(size.stderr.contains("--size must be a positive multiple of 4"))
    }

    @Test func everyVerbOfTheLMPluginIsThere() throws {
        let run = try cdqctl("--help")
        #expect(run.status == 0)
        for verb in ["identify", "create-cdq", "delete-cdq", "track-send", "set-cdq", "get-cdq", "migration-send", "migration-recv"] {
            #expect(run.stdout.contains("  \(verb) "), "missing verb \(verb)")
        }
    }

    @Test func migrateSimulatedPrintsTheReportAsJSONAndVerifies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-test-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("destination.img").path
        let run = try cdqctl("migrate", "--simulate", "--namespace-size", "32M", "--writers", "2", "--write-rate", "2000",
                             "--destination", destination, "--verify", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let report = try #require(object)
        for key in ["rounds", "bulk_bytes", "recopied_bytes", "downtime_ms", "overflowed", "verified"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        #expect(report["verified"] as? Bool == true)
        #expect(report["destination_kind"] as? String == "file")
        #expect(report["bulk_bytes"] as? Int == 32 << 20)
        #expect((try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) == 32 << 20)
    }

    @Test func migrateRefusesWhatItCannotUseBeforeWritingAnything() throws {
        let incomplete = try cdqctl("migrate", "/dev/nvme0", "--destination", "/tmp/cdqctl-never-written.img")
        #expect(incomplete.status == 64)
        #expect(incomplete.stderr.contains("with a device, give --cntlid (the migratable controller) and --source"))
        let missing = try cdqctl("migrate", "/dev/nvme-missing", "--cntlid", "1", "--source", "/dev/null",
                                 "--destination", "/tmp/cdqctl-never-written.img")
        #expect(missing.status == 3)
        #expect(missing.stderr == "cdqctl: open /dev/nvme-missing: ENOENT (No such file or directory)\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/cdqctl-never-written.img"))
        let nowhere = try cdqctl("migrate", "--simulate", "--namespace-size", "1M", "--destination", "/nonexistent/dir/ns.img")
        #expect(nowhere.status == 3)
        #expect(nowhere.stderr.contains("open /nonexistent/dir/ns.img: ENOENT"))
        let sizes = try cdqctl("migrate", "--simulate", "--namespace-size", "12Q", "--destination", "/tmp/x")
        #expect(sizes.status == 64)
        #expect(sizes.stderr.contains("12Q is not a size"))
    }
}

extension CDQCtlTests {
    /// Ctrl-C during `cdqctl migrate`: a clean cancellation, not a dead
    /// process with the queue still attached.
    @Test func ctrlCCancelsAMigrationCleanly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-cancel-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Progress lines go to stderr with --json; interrupted once the bulk copy runs.
        let run = try Self.tool.runInterrupted(
            ["migrate", "--simulate", "--namespace-size", "256M", "--writers", "2", "--write-rate", "2000",
             "--destination", "\(directory)/destination.img", "--json"],
            after: "bulk copy", on: .stderr)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("SIGINT: cancelling"))
        #expect(run.stdout.contains("the migration was cancelled"), "stdout: \(run.stdout)")
        #expect(run.stdout.contains("queue deleted"))
    }
}
