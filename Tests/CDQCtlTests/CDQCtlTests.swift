import Foundation
import Testing

/// The CLI's contract for scripts: exit status and the error text, on paths
/// that need no NVMe device (the guest run covers a real controller).
@Suite struct CDQCtlTests {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    /// cdqctl is built beside the test bundle.
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("cdqctl").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("cdqctl")
    }()

    func cdqctl(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

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
        #expect(run.stderr.contains("--entries must be 2...65536"))
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
}
