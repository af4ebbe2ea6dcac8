import Foundation

/// One of the package's executables, built beside the test bundle, run as
/// a user runs it: its exit status and output are its contract.
public struct BuiltTool: Sendable {
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public let url: URL

    /// Finds `name` in the test bundle's directory or one above it.
    public init(_ name: String) {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent(name).path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        url = dir.appendingPathComponent(name)
    }

    /// Runs it to the end with `arguments`; a run that hangs is killed
    /// after `timeoutSeconds` (its status then says SIGKILL, 9), so a hang
    /// fails the test instead of stalling the suite. `environment` adds to
    /// (or replaces) variables of the test's own environment.
    public func run(_ arguments: [String], timeoutSeconds: Double = 180, environment: [String: String] = [:]) throws -> Run {
        let (process, out, err) = try start(arguments, environment: environment)
        let watchdog = Watchdog(process, timeoutSeconds: timeoutSeconds)
        defer { watchdog.cancel() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Which output `runInterrupted` watches.
    public enum Stream: Sendable { case stdout, stderr }

    /// Starts it, waits until `stream` shows `marker`, sends SIGINT as a
    /// user's Ctrl-C would, and runs it to the end.
    public func runInterrupted(_ arguments: [String], after marker: String, on stream: Stream = .stdout) throws -> Run {
        try run(arguments, after: marker, on: stream) { kill($0, SIGINT) }
    }

    /// Starts it, waits until `stream` shows `marker`, does `action` (given
    /// the tool's process id), and runs it to the end.
    public func run(_ arguments: [String], after marker: String, on stream: Stream = .stdout,
                    then action: (pid_t) -> Void, timeoutSeconds: Double = 180) throws -> Run {
        let (process, out, err) = try start(arguments)
        let watchdog = Watchdog(process, timeoutSeconds: timeoutSeconds)
        defer { watchdog.cancel() }
        let watched = stream == .stdout ? out.fileHandleForReading : err.fileHandleForReading
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(marker) {
            let chunk = watched.availableData
            if chunk.isEmpty { break } // it ended on its own; the caller's checks say how
            seen += chunk
        }
        action(process.processIdentifier)
        seen += watched.readDataToEndOfFile()
        let other = (stream == .stdout ? err : out).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let (stdout, stderr) = stream == .stdout ? (seen, other) : (other, seen)
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts it with no signal blocked, as from a shell. The test runner's
    /// threads block SIGINT and SIGTERM, and a child inherits the mask of
    /// the thread that spawns it: a tool that forgot to handle Ctrl-C would
    /// then look as if it did.
    private func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        var none = sigset_t(), runner = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &runner)
        defer { pthread_sigmask(SIG_SETMASK, &runner, nil) }
        try process.run()
        return (process, out, err)
    }
}

/// Kills a process (SIGKILL) that still runs after a timeout, so that a
/// hang fails a test instead of stalling the suite; `cancel` once it ended.
public struct Watchdog {
    private let item: DispatchWorkItem

    public init(_ process: Process, timeoutSeconds: Double) {
        let pid = process.processIdentifier
        item = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: item)
    }

    public func cancel() { item.cancel() }
}
