import CDQTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-listen` and `--metrics-file`: a real client (curl) scrapes
/// `cdqctl watch --simulate` while it runs, on loopback only; the values
/// grow and the names follow Prometheus' conventions.
@Suite struct MetricsExportTests {
    /// A TCP socket listening on a loopback port the kernel chose: the
    /// descriptor (close it) and the port.
    func loopbackListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 && listen(fd, 1) == 0
            }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A loopback port that was free a moment ago.
    func freePort() throws -> Int {
        let (fd, port) = try loopbackListener()
        close(fd)
        return port
    }

    /// The body of one scrape with curl (empty if it failed).
    func scrape(_ url: String) -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["--silent", "--fail", "--max-time", "10", url]
        let out = Pipe()
        curl.standardOutput = out
        guard (try? curl.run()) != nil else { return "" }
        let body = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return curl.terminationStatus == 0 ? String(decoding: body, as: UTF8.self) : ""
    }

    @Test func watchServesMetricsThatGrowWithConventionalNames() throws {
        let port = try freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdq-metrics-\(getpid())-\(port)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/cdq.prom"
        let url = "http://127.0.0.1:\(port)/metrics"
        var scrapes: [Exposition] = []
        let run = try CDQCtlTests.tool.run(
            ["watch", "--simulate", "--cntlid", "1", "--seconds", "4", "--interval", "0.25", "--write-rate", "100",
             "--metrics-listen", "127.0.0.1:\(port)", "--metrics-file", file],
            after: "watching", on: .stderr, then: { _ in
                // Two scrapes a second apart, well inside the four seconds.
                Thread.sleep(forTimeInterval: 0.6)
                scrapes.append(Exposition(scrape(url)))
                Thread.sleep(forTimeInterval: 1.0)
                scrapes.append(Exposition(scrape(url)))
            })
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("serving metrics on \(url)"))
        try #require(scrapes.count == 2)
        let (first, second) = (scrapes[0], scrapes[1])
        let queue = #"{cdqid="1",cntlid="1",device="simulator"}"#
        let entries = "cdq_engine_entries_total" + queue
        #expect((first.values[entries] ?? 0) > 0, "entries were counted: \(first.values)")
        #expect((second.values[entries] ?? 0) > (first.values[entries] ?? 0), "and kept growing")
        #expect((second.values["cdq_engine_loop_turns_total"] ?? 0) > (first.values["cdq_engine_loop_turns_total"] ?? 0))
        #expect(second.values["cdq_engine_queues"] == 1)
        #expect(second.values[#"cdq_engine_delivery_latency_seconds{quantile="0.5"}"#] != nil)
        for exposition in [first, second] {
            #expect(!exposition.types.isEmpty)
            for (name, type) in exposition.types {
                #expect(name.hasPrefix("cdq_"), "\(name) is namespaced")
                #expect((type == "counter") == name.hasSuffix("_total"), "\(name): counters and only counters end in _total")
                for unit in ["_ms", "_us", "_milliseconds", "_microseconds", "_nanoseconds", "_kib", "_mib", "_kilobytes"] {
                    #expect(!name.contains(unit), "\(name) is in base units (seconds, bytes)")
                }
            }
        }
        // The textfile: written atomically, the last figures at exit, no temporary left.
        let written = Exposition((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
        #expect((written.values["cdq_engine_loop_turns_total"] ?? 0) >= (second.values["cdq_engine_loop_turns_total"] ?? 0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["cdq.prom"])
    }

    @Test func migrateWritesItsFiguresToTheTextfile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdq-metrics-migrate-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CDQCtlTests().cdqctl("migrate", "--simulate", "--namespace-size", "16M", "--writers", "2",
                                           "--write-rate", "2000", "--destination", "\(directory)/destination.img",
                                           "--metrics-file", "\(directory)/migrate.prom", "--log-level", "info")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("migration phase started") && run.stderr.contains("phase=bulk"))
        let written = Exposition((try? String(contentsOfFile: "\(directory)/migrate.prom", encoding: .utf8)) ?? "")
        let copied = written.values.first { $0.key.hasPrefix("cdq_migration_copied_bytes_total{") }?.value ?? 0
        #expect(copied >= Double(16 << 20), "the bulk copy at least: \(written.values)")
        #expect(written.types["cdq_migration_downtime_seconds"] == "gauge")
        #expect(written.types["cdq_migration_rounds_total"] == "counter")
    }

    @Test func aBadListenAddressIsAUsageErrorAndABusyPortAnError() throws {
        let bad = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--metrics-listen", "9464")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("give ADDR:PORT"))
        let (holder, port) = try loopbackListener()
        defer { close(holder) }
        let busy = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--seconds", "1",
                                            "--metrics-listen", "127.0.0.1:\(port)")
        #expect(busy.status == 3)
        #expect(busy.stderr.contains("--metrics-listen 127.0.0.1:\(port)"), "\(busy.stderr)")
    }
}

/// A Prometheus text exposition, read the way a scraper reads it: each
/// `# TYPE` line, and each sample's value by its name and labels.
struct Exposition {
    var types: [String: String] = [:]
    var values: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) {
                values[String(line[..<space])] = value
            }
        }
    }
}
