import CDQTestSupport
import Foundation
import Testing

/// A controller's refusal, wherever it happens (Create CDQ, Track Send,
/// Migration Send), ends `watch` and `migrate` with exit status 1 and the
/// NVMe status in the JSON error, as for every other verb.
@Suite struct RefusalTests {
    func error(_ stdout: String) -> [String: Any]? {
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    /// Invalid Field in Command with DNR: what `--simulated-refusal` answers.
    func expectInvalidField(_ run: CDQCtlTests.Run, _ command: String) {
        #expect(run.status == 1, "stdout: \(run.stdout) stderr: \(run.stderr)")
        let object = error(run.stdout)
        #expect(object?["status"] as? Int == 0x4002)
        #expect(object?["sct"] as? Int == 0)
        #expect(object?["sc"] as? Int == 2)
        #expect(object?["dnr"] as? Bool == true)
        #expect(object?["status_name"] as? String == "Invalid Field in Command")
        #expect((object?["error"] as? String)?.contains(command) == true, "\(object?["error"] ?? "no error")")
    }

    @Test(arguments: [("create-cdq", "Create CDQ"), ("track-send", "Track Send")])
    func watchExitsOneWithTheStatus(refused: String, command: String) throws {
        let run = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--seconds", "0.2", "--json",
                                           "--simulated-refusal", refused)
        expectInvalidField(run, command)
    }

    @Test(arguments: [("track-send", "Track Send"), ("migration-send", "Migration Send suspend")])
    func migrateExitsOneWithTheStatus(refused: String, command: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-refusal-\(getpid())-\(refused)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CDQCtlTests().cdqctl(
            "migrate", "--simulate", "--namespace-size", "4M", "--writers", "1", "--write-rate", "200",
            "--destination", directory.appendingPathComponent("target.img").path, "--json", "--simulated-refusal", refused)
        expectInvalidField(run, command)
        #expect((error(run.stdout)?["error"] as? String)?.contains("controller 1") == true, "says what was undone")
    }

    @Test func theRefusalFlagNeedsTheSimulator() throws {
        let run = try CDQCtlTests().cdqctl("watch", "/dev/nvme0", "--cntlid", "1", "--simulated-refusal", "track-send")
        #expect(run.status == 64)
    }
}
