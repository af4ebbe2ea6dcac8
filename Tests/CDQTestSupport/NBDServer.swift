import Foundation

/// An `nbdkit` serving one file, started and stopped by a test: the far
/// side of an NBD migration. It serves on a Unix socket, on a TCP port of
/// an address (loopback, or inside a `NetworkNamespace`), read-only, or
/// slowed down (`rate`), as the test needs.
public final class NBDServer {
    /// True when nbdkit is installed (scripts/deps.sh installs it).
    public static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/nbdkit")

    /// The URI a client connects to.
    public let uri: String
    public let process: Process
    private let socketPath: String?
    /// A server outlives no test: killed after `lifetimeSeconds`, so a
    /// client stuck on it fails (connection reset) instead of hanging.
    private var lifetime: Watchdog?

    public enum Endpoint {
        case unixSocket(String)
        /// A TCP port on `address`; `namespace` runs the server inside it.
        case tcp(address: String, port: Int, namespace: String?)
    }

    /// Starts nbdkit on `endpoint` serving `file`, and waits (at most 10 s)
    /// until it accepts connections. With `tlsKeys` (a PSK file of
    /// `alice:HEXKEY`), the server requires TLS and `uri` is an `nbds` URI.
    public init(
        serving file: String, on endpoint: Endpoint, readOnly: Bool = false, rate: String? = nil, tlsKeys: String? = nil,
        lifetimeSeconds: Double = 120
    ) throws {
        var arguments = ["--foreground"]
        if let tlsKeys { arguments += ["--tls=require", "--tls-psk=\(tlsKeys)"] }
        if readOnly { arguments.append("--readonly") }
        if rate != nil { arguments += ["--filter=rate"] }
        let prefix: [String]
        switch endpoint {
        case .unixSocket(let path):
            arguments += ["--unix", path]
            uri = tlsKeys.map { "nbds+unix://alice@/?socket=\(path)&tls-psk-file=\($0)" } ?? "nbd+unix:///?socket=\(path)"
            socketPath = path
            prefix = []
        case .tcp(let address, let port, let namespace):
            arguments += ["--ipaddr", address, "--port", String(port)]
            uri = "nbd://\(address):\(port)/"
            socketPath = nil
            prefix = namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []
        }
        arguments += ["file", file]
        if let rate { arguments.append("rate=\(rate)") }
        process = Process()
        let command = prefix + ["/usr/bin/nbdkit"] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        lifetime = Watchdog(process, timeoutSeconds: lifetimeSeconds)
        try waitUntilServing(endpoint)
    }

    deinit { stop() }

    /// Kills the server (SIGKILL: a crash, as far as the client can tell) and reaps it.
    public func stop() {
        lifetime?.cancel()
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let socketPath { unlink(socketPath) }
    }

    private func waitUntilServing(_ endpoint: Endpoint) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else { throw NBDServerError("nbdkit exited with status \(process.terminationStatus)") }
            if case .unixSocket(let path) = endpoint, FileManager.default.fileExists(atPath: path) { return }
            if case .tcp(let address, let port, let namespace) = endpoint, Self.listening(address, port, namespace) { return }
            usleep(20_000)
        }
        stop()
        throw NBDServerError("nbdkit did not start serving within 10 s")
    }

    /// Whether something listens on `address:port` (`ss` in the server's namespace).
    private static func listening(_ address: String, _ port: Int, _ namespace: String?) -> Bool {
        let ss = ["/usr/bin/ss", "-Hltn", "src", "\(address):\(port)"]
        let command = (namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []) + ss
        guard let output = try? runCommand(command) else { return false }
        return !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// A TCP port nobody listens on now (the kernel's choice for port 0).
    public static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length)
                return getsockname(socket, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct NBDServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a command to the end (killed after `timeoutSeconds`); its standard
/// output, or an error naming the command and its standard error.
@discardableResult
public func runCommand(_ command: [String], timeoutSeconds: Double = 20) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let watchdog = Watchdog(process, timeoutSeconds: timeoutSeconds)
    defer { watchdog.cancel() }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NBDServerError("\(command.joined(separator: " ")): status \(process.terminationStatus): "
            + String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
}
