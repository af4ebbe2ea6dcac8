import ArgumentParser
import CDQMetricsExport
import CDQUring
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Where cdqctl's logs go: stderr, at the level `--log-level` sets (one
/// bootstrap per process, at start; the level is read when a logger is
/// made, which is after the arguments are parsed).
enum CommandLogging {
    private static let level = Locked(Logger.Level.warning)

    static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level.withLock { $0 }
            return handler
        }
    }

    static func set(_ new: Logger.Level) { level.withLock { $0 = new } }
}

/// `--log-level`, `--metrics-listen` and `--metrics-file` of the verbs
/// that run an engine or a migration (docs/observability.md).
struct ObservabilityOptions: ParsableArguments {
    @Option(help: "Least severe log line on stderr: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning
    @Option(help: "Serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9464 or [::1]:9464.")
    var metricsListen: String?
    @Option(help: "Write Prometheus metrics to this file every second and at the end (node_exporter's textfile collector: name it *.prom).")
    var metricsFile: String?

    func validate() throws {
        if let metricsListen, ListenAddress(metricsListen) == nil {
            throw ValidationError("--metrics-listen \(metricsListen): \(ListenAddress.problem)")
        }
        if let metricsFile, metricsFile.isEmpty || metricsFile.hasSuffix("/") {
            throw ValidationError("--metrics-file needs a file name, e.g. /var/lib/node_exporter/cdq.prom")
        }
    }

    /// Sets the log level and starts the metrics export, if asked: before
    /// any engine starts, so that its metrics reach the export.
    func start(verb: String) throws -> MetricsExport? {
        CommandLogging.set(logLevel)
        guard metricsListen != nil || metricsFile != nil else { return nil }
        let export: MetricsExport
        do {
            export = try MetricsExport(listen: metricsListen.flatMap(ListenAddress.init), file: metricsFile)
        } catch {
            throw MetricsExportFailure(listen: metricsListen, file: metricsFile, error: error)
        }
        if let address = export.boundAddress { note("serving metrics on http://\(address)/metrics", verb: verb) }
        return export
    }
}

struct MetricsExportFailure: Error, CustomStringConvertible {
    let listen: String?, file: String?, error: Error
    var description: String {
        let what = [listen.map { "--metrics-listen \($0)" }, file.map { "--metrics-file \($0)" }].compactMap { $0 }
        return "\(what.joined(separator: ", ")): \(error)"
    }
}
