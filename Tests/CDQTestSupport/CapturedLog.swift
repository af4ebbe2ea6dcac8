import CDQUring
import Logging

/// A LogHandler that keeps every record, for tests.
public final class CapturedLog: @unchecked Sendable {
    public init() {}

    public struct Line { public let level: Logger.Level; public let message: String; public let metadata: Logger.Metadata }
    private let lines = Locked<[Line]>([])

    public var all: [Line] { lines.withLock { $0 } }
    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    public var logger: Logger { Logger(label: "test") { _ in Handler(log: self) } }

    /// Waits (at most 5 s) for a line whose message contains `text`.
    public func waitFor(_ text: String) -> Line? {
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        repeat {
            if let line = all.first(where: { $0.message.contains(text) }) { return line }
            MonotonicClock.sleep(nanoseconds: 5_000_000)
        } while MonotonicClock.nanoseconds() < deadline
        return nil
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append(Line(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}

