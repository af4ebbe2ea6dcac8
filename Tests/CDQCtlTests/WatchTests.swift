import Foundation
import Testing

/// `cdqctl watch`: the engine end to end through the CLI, on the simulator.
@Suite struct WatchTests {
    func lines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func everyChangeTheWritersMadeIsStreamedOnceBetweenFirstAndLast() throws {
        // 4096 entries: two seconds of changes, so a loaded machine cannot overflow the queue.
        let run = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "2", "--entries", "4096", "--seconds", "1",
                                           "--write-rate", "2000", "--json")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let records = lines(run.stdout)
        #expect(records.count == run.stdout.split(separator: "\n").count, "every line is one JSON object")
        #expect(records.first?["status"] as? String == "first")
        #expect(records.last?["status"] as? String == "last-logging-stopped")
        let changes = records.filter { $0["status"] as? String == "change" }
        #expect(changes.count > 1000, "about 2000 writes in a second")
        #expect(changes.allSatisfy { $0["nsid"] as? Int == 2 && ($0["blocks"] as? Int ?? 0) >= 1 && $0["slba"] != nil })
        // The command itself compares what it saw with what the writers made.
        #expect(run.stderr.contains("\(changes.count) changes, 0 overflows"))
    }

    @Test func theSimulatedControllersAdminCostIsAnOptionOfSimulateOnly() throws {
        let run = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--entries", "4096", "--seconds", "0.5",
                                           "--write-rate", "2000", "--admin-latency-us", "100", "--admin-service-us", "10")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(" 0 overflows"), "every change streamed under a 100 µs admin latency")
        let device = try CDQCtlTests().cdqctl("watch", "/dev/nvme0", "--cntlid", "1", "--admin-latency-us", "100")
        #expect(device.status == 64 && device.stderr.contains("need --simulate"))
        let negative = try CDQCtlTests().cdqctl("migrate", "--simulate", "--destination", "/tmp/unused", "--admin-service-us=-3")
        #expect(negative.status == 64 && negative.stderr.contains("--admin-service-us must be"))
    }

    @Test func ctrlCStopsLoggingDrainsToLastAndExitsCleanly() throws {
        // Interrupted once the stream has begun, like a user would.
        let run = try CDQCtlTests.tool.runInterrupted(["watch", "--simulate", "--cntlid", "1", "--write-rate", "500"], after: "first")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.hasSuffix("cdqid 1 last-logging-stopped\n"))
        #expect(run.stderr.contains("stopped (SIGINT)"))
    }

    @Test func aDeviceThatIsMissingOrNotNVMeIsRefusedByName() throws {
        let missing = try CDQCtlTests().cdqctl("watch", "/dev/nvme-missing", "--cntlid", "1")
        #expect(missing.status == 3)
        #expect(missing.stderr == "cdqctl: open /dev/nvme-missing: ENOENT (No such file or directory)\n")
        let notNVMe = try CDQCtlTests().cdqctl("watch", "/dev/null", "--cntlid", "1", "--json")
        #expect(notNVMe.status == 3)
        #expect(notNVMe.stdout == #"{"error":"/dev/null is not an NVMe character device (sysfs class: mem)"}"# + "\n")
    }

    @Test func aDeviceAndSimulateTogetherOrNeitherIsAUsageError() throws {
        let both = try CDQCtlTests().cdqctl("watch", "/dev/nvme0", "--simulate", "--cntlid", "1")
        #expect(both.status == 64)
        #expect(both.stderr.contains("give a controller device, or --simulate, not both"))
        let neither = try CDQCtlTests().cdqctl("watch", "--cntlid", "1")
        #expect(neither.status == 64)
        let managing = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "0")
        #expect(managing.status == 64)
        #expect(managing.stderr.contains("0 is the managing controller"))
    }
}
