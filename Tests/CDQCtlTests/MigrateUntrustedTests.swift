import CDQTestSupport
import Foundation
import Testing

/// `cdqctl migrate` reports untrusted entries by kind and takes `--on-untrusted`.
extension CDQCtlTests {
    @Test func migrateReportsUntrustedEntriesAndTakesTheirPolicy() throws {
        let directory = try ScratchDirectory("untrusted")
        let destination = directory.file("destination.img")
        let run = try cdqctl("migrate", "--simulate", "--namespace-size", "8M", "--writers", "1", "--write-rate", "1000",
                             "--destination", destination, "--on-untrusted", "abort", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["untrusted_entries"] as? [String: Any])?.isEmpty == true, "a correct controller: none")
        let text = try cdqctl("migrate", "--simulate", "--namespace-size", "8M", "--writers", "1", "--write-rate", "1000",
                              "--destination", destination, "--force")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("  untrusted:        0"))
        let bogus = try cdqctl("migrate", "--simulate", "--destination", destination, "--on-untrusted", "ignore")
        #expect(bogus.status == 64)
        #expect(bogus.stderr.contains("--on-untrusted"))
    }
}

extension CDQCtlTests {
    /// The controller loses the queue mid-copy: exit status 3, the reason,
    /// "the destination is incomplete", and the source left running.
    @Test(arguments: ["delete-queue", "reset"])
    func migrateStopsWhenTheQueueIsLost(_ fault: String) throws {
        let directory = try ScratchDirectory("lost-\(fault)")
        let run = try cdqctl("migrate", "--simulate", "--namespace-size", "16M", "--writers", "1", "--write-rate", "1000",
                             "--destination", directory.file("destination.img"), "--simulate-fault", fault)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("the controller's queue was lost (the controller no longer knows the queue"))
        #expect(run.stderr.contains("the destination is incomplete"))
        // Lost during the bulk copy, found within a second: before or after the suspend.
        #expect(run.stderr.contains("controller 1 was not suspended") || run.stderr.contains("controller 1 resumed"))
        #expect(run.stderr.contains("the queue could not be deleted, its memory is kept"))
    }

    @Test func migrateCountsAHostileEntryAndStillVerifies() throws {
        let directory = try ScratchDirectory("hostile")
        let destination = directory.file("destination.img")
        let run = try cdqctl("migrate", "--simulate", "--namespace-size", "16M", "--writers", "1", "--write-rate", "1000",
                             "--destination", destination, "--verify", "--json", "--simulate-fault", "hostile-entry")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["untrusted_entries"] as? [String: Int] == ["reserved_esa": 1])
        #expect(report["verified"] as? Bool == true)
        let aborted = try cdqctl("migrate", "--simulate", "--namespace-size", "16M", "--writers", "1", "--write-rate", "1000",
                                 "--destination", destination, "--force", "--on-untrusted", "abort",
                                 "--simulate-fault", "hostile-entry")
        #expect(aborted.status == 3)
        #expect(aborted.stderr.contains("an untrusted entry (reserved_esa) and --on-untrusted abort"))
    }
}

/// A directory for one test's files, removed with them.
final class ScratchDirectory {
    let url: URL

    init(_ name: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}
