import CDQTestSupport
import Foundation
import Testing

/// `cdqctl migrate` reports untrusted entries by kind and takes `--on-untrusted`.
extension CDQCtlTests {
    @Test func migrateReportsUntrustedEntriesAndTakesTheirPolicy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-untrusted-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("destination.img").path
        let run = try cdqctl("migrate", "--simulate", "--namespace-size", "8M", "--writers", "1", "--write-rate", "1000",
                             "--destination", destination, "--on-untrusted", "abort", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["untrusted_entries"] as? [String: Any])?.isEmpty == true, "a correct controller: none")
        let text = try cdqctl("migrate", "--simulate", "--namespace-size", "8M", "--writers", "1", "--write-rate", "1000",
                              "--destination", destination)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("  untrusted:        0"))
        let bogus = try cdqctl("migrate", "--simulate", "--destination", destination, "--on-untrusted", "ignore")
        #expect(bogus.status == 64)
        #expect(bogus.stderr.contains("--on-untrusted"))
    }
}
