import CDQEngine
import CDQNVMe

/// One thing that happened in a run, at a virtual time. Kept as values and
/// formatted only when printed, so a run that prints nothing pays little.
enum TraceEvent {
    case posted(queue: Int, sequence: UInt64, slot: UInt32, what: Posted)
    case event(queue: Int, fate: EventFate)
    case readiness(queue: Int)
    case scanned(queue: Int, drained: Int, consumerFull: Bool)
    case headUpdateSent(queue: Int, head: UInt32, trigger: UInt32?)
    case headUpdateRefused(queue: Int)
    case headUpdateCompleted(queue: Int, result: String)
    case tick
    case deadline(queue: Int)
    case popped(queue: Int, count: Int)
    case lost(queue: Int, loss: QueueLoss)
    case suspended(queue: Int)
    case unregistering(queue: Int)
    case removed(queue: Int)
    case consumerStalled(queue: Int, until: UInt64)
    case faultsStopped
    case shutdown

    enum Posted: String { case entry, hostile, overflow = "overflow (ESA 7)", suspended = "LAST suspended", refused = "refused (full)", skipped = "skipped (tail jump)" }
    enum EventFate: String { case delivered, dropped, masked, delayed, duplicated }

    var description: String {
        switch self {
        case .posted(let q, let sequence, let slot, let what): "q\(q) post #\(sequence) slot \(slot): \(what.rawValue)"
        case .event(let q, let fate): "q\(q) tail pointer event \(fate.rawValue)"
        case .readiness(let q): "q\(q) readiness"
        case .scanned(let q, let drained, let full): "q\(q) scan: \(drained) drained\(full ? ", consumer full" : "")"
        case .headUpdateSent(let q, let head, let trigger): "q\(q) head update sent: head \(head), trigger \(trigger.map(String.init) ?? "none")"
        case .headUpdateRefused(let q): "q\(q) head update refused: admin queue full"
        case .headUpdateCompleted(let q, let result): "q\(q) head update completed: \(result)"
        case .tick: "watchdog tick"
        case .deadline(let q): "q\(q) deadline scan due"
        case .popped(let q, let count): "q\(q) consumer popped \(count)"
        case .lost(let q, let loss): "q\(q) lost: \(loss.name)"
        case .suspended(let q): "q\(q) suspended, queue deleted (DUDMQ)"
        case .unregistering(let q): "q\(q) unregister asked"
        case .removed(let q): "q\(q) released"
        case .consumerStalled(let q, let until): "q\(q) consumer stalls until \(until / 1_000) us"
        case .faultsStopped: "faults stop; writers stop"
        case .shutdown: "engine shutdown"
        }
    }
}

/// The run's trace: every event when asked (`--trace`), else the last few,
/// for a violation's report.
struct Trace {
    let keepsAll: Bool
    private(set) var lines: [String] = []
    private var recent: [(UInt64, TraceEvent)] = []
    private var next = 0
    static let recentCount = 48

    init(keepsAll: Bool) { self.keepsAll = keepsAll }

    mutating func record(_ now: UInt64, _ event: TraceEvent) {
        if keepsAll { lines.append(Self.format(now, event)) }
        if recent.count < Self.recentCount { recent.append((now, event)) } else { recent[next] = (now, event) }
        next = (next + 1) % Self.recentCount
    }

    /// The last events, oldest first.
    var last: [String] {
        let ordered = recent.count < Self.recentCount ? recent : Array(recent[next...] + recent[..<next])
        return ordered.map { Self.format($0.0, $0.1) }
    }

    static func format(_ now: UInt64, _ event: TraceEvent) -> String {
        let micros = now / 1_000, fraction = now % 1_000
        let padded = String(fraction).count < 3 ? String(repeating: "0", count: 3 - String(fraction).count) + String(fraction) : String(fraction)
        return "t=\(micros).\(padded)us \(event.description)"
    }
}
