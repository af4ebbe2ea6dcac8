import CDQTestSupport
import Foundation
import Testing

/// `cdqctl migrate --destination nbd://...` against a real nbdkit: what a
/// user sees when the server is missing, too small, read-only, or dies in
/// the middle of the copy.
@Suite(.enabled(if: NBDServer.available, "nbdkit is not installed (scripts/deps.sh installs it)"))
struct MigrateNBDTests {
    typealias Run = BuiltTool.Run
    static let tool = BuiltTool("cdqctl")

    /// A scratch directory with a zero-filled file of `bytes` to serve.
    final class Scratch {
        let directory: String
        let served: String

        init(bytes: Int) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("cdqctl-nbd-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            served = "\(directory)/served.img"
            FileManager.default.createFile(atPath: served, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: served))
            try handle.truncate(atOffset: UInt64(bytes))
            try handle.close()
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        var socket: String { "\(directory)/nbd.sock" }

        /// True when the served file is still all zeroes: nothing was written.
        var untouched: Bool {
            (try? Data(contentsOf: URL(fileURLWithPath: served)))?.allSatisfy { $0 == 0 } ?? false
        }
    }

    func migrate(to uri: String, megabytes: Int = 16, _ extra: String...) throws -> Run {
        try Self.tool.run(["migrate", "--simulate", "--namespace-size", "\(megabytes)M", "--writers", "2", "--write-rate", "2000",
                           "--destination", uri] + extra, timeoutSeconds: 120)
    }

    @Test func aMigrationToAnExportNamesTheDestinationKindInJSON() throws {
        let scratch = try Scratch(bytes: 16 << 20)
        let server = try NBDServer(serving: scratch.served, on: .unixSocket(scratch.socket))
        defer { server.stop() }
        let run = try migrate(to: server.uri, "--verify", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let report = try #require(object)
        #expect(report["destination_kind"] as? String == "nbd")
        #expect(report["verified"] as? Bool == true)
        #expect(report["bulk_bytes"] as? Int == 16 << 20)
        #expect(!scratch.untouched)
    }

    /// `nbds`: TLS with a pre-shared key; a plain `nbd` URI to the same server is refused by it.
    @Test func anExportThatRequiresTLSIsReachedWithAnNBDSURI() throws {
        let scratch = try Scratch(bytes: 16 << 20)
        let keys = "\(scratch.directory)/keys.psk"
        let key = (0 ..< 32).map { _ in String(format: "%02x", UInt8.random(in: 0 ... 255)) }.joined()
        FileManager.default.createFile(atPath: keys, contents: Data("alice:\(key)\n".utf8), attributes: [.posixPermissions: 0o600])
        let server = try NBDServer(serving: scratch.served, on: .unixSocket(scratch.socket), tlsKeys: keys)
        defer { server.stop() }
        let run = try migrate(to: server.uri, "--verify", "--json")
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains(#""verified":true"#))
        let plain = try migrate(to: "nbd+unix:///?socket=\(scratch.socket)")
        #expect(plain.status == 3)
        #expect(plain.stderr.contains("server requires TLS"), "\(plain.stderr)")
    }

    @Test func aServerNobodyRunsIsNamedWithTheReason() throws {
        let uri = "nbd://127.0.0.1:\(NBDServer.freePort())/"
        let run = try migrate(to: uri)
        #expect(run.status == 3)
        #expect(run.stderr.contains("cdqctl: cannot reach the NBD server of \(uri)"), "\(run.stderr)")
        #expect(run.stderr.contains("Connection refused"))
    }

    @Test func anExportSmallerThanTheNamespaceIsRefusedBeforeAnythingIsWritten() throws {
        let scratch = try Scratch(bytes: 8 << 20)
        let server = try NBDServer(serving: scratch.served, on: .unixSocket(scratch.socket))
        defer { server.stop() }
        let run = try migrate(to: server.uri, megabytes: 16)
        #expect(run.status == 3)
        #expect(run.stderr.contains("holds 8388608 bytes, fewer than the namespace's 16777216"), "\(run.stderr)")
        #expect(scratch.untouched)
    }

    @Test func aReadOnlyExportIsRefused() throws {
        let scratch = try Scratch(bytes: 16 << 20)
        let server = try NBDServer(serving: scratch.served, on: .unixSocket(scratch.socket), readOnly: true)
        defer { server.stop() }
        let run = try migrate(to: server.uri, "--json")
        #expect(run.status == 3)
        #expect(run.stdout == #"{"error":"the NBD export \#(server.uri) is read-only"}"# + "\n")
    }

    @Test func aSequentialComparisonNeedsALocalDestination() throws {
        let run = try migrate(to: "nbd://127.0.0.1/", "--compare-sequential")
        #expect(run.status == 64)
        #expect(run.stderr.contains("--compare-sequential copies next to a local destination"))
    }

    /// The server dies during the bulk copy (killed, as a crash or a lost
    /// host looks): the source is put back and the destination called incomplete.
    @Test func aServerKilledMidCopyPutsTheSourceBackAndCallsTheDestinationIncomplete() throws {
        let scratch = try Scratch(bytes: 32 << 20)
        // 64 Mbit/s: the bulk copy of 32 MiB takes seconds, so the kill lands in it.
        let server = try NBDServer(serving: scratch.served, on: .unixSocket(scratch.socket), rate: "64M")
        defer { server.stop() }
        let run = try Self.tool.run(
            ["migrate", "--simulate", "--namespace-size", "32M", "--writers", "2", "--write-rate", "2000",
             "--destination", server.uri, "--json"],
            after: "bulk copy", on: .stderr, then: { _ in server.stop() }, timeoutSeconds: 120)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let message = try #require(object?["error"] as? String)
        #expect(message.contains("write \(server.uri) at byte"), "\(message)")
        #expect(message.contains("logging stopped and the queue deleted"), "\(message)")
        #expect(message.hasSuffix("the destination \(server.uri) is incomplete"), "\(message)")
    }
}
