import CDQEngine
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

/// Pops the consumer's ring and prints each record as it arrives: one line
/// per entry, or one JSON object per line with `--json`.
struct EntryStream {
    let json: Bool
    let consumer: Consumer
    private(set) var records: UInt64 = 0
    /// Change entries (ESA middle): what a copy engine would act on.
    private(set) var changes: UInt64 = 0
    private(set) var overflows: UInt64 = 0
    /// Entries the engine found wrong (`.problem` records).
    private(set) var problems: UInt64 = 0
    /// Set once the engine lost the queue: nothing more will come.
    private(set) var loss: QueueLoss?

    init(json: Bool, consumer: Consumer) {
        self.json = json
        self.consumer = consumer
    }

    func wait(timeoutNanoseconds: UInt64) { _ = consumer.wait(timeoutNanoseconds: timeoutNanoseconds) }

    /// Prints everything in the ring now, in batches, without copying.
    mutating func drain() {
        while true {
            let batch = consumer.peek(max: 256)
            if batch.isEmpty { break }
            for record in batch { emit(record) }
            consumer.release(batch.count)
        }
        fflush(nil)  // every stream: entries reach a pipe as they arrive
    }

    private mutating func emit(_ record: CDQRecord) {
        records += 1
        let entry = record.entry
        if record.kind == .overflow { overflows += 1 }
        if record.kind == .problem { problems += 1 }
        if record.kind == .queueLost { loss = record.loss ?? .unknownToController }
        if record.kind == .entry && entry.entryStatus == .middle { changes += 1 }
        print(json ? Self.json(record, entry).rendered : Self.text(record, entry))
    }

    static func status(_ record: CDQRecord, _ entry: MigrationQueueEntry) -> String {
        switch record.kind {
        case .overflow: return "overflow"
        case .problem: return "problem-" + (record.problem?.name ?? "\(record.detail)").split(separator: "_").joined(separator: "-")
        case .queueLost: return "queue-lost"
        case .entry: break
        }
        switch entry.entryStatus {
        case .middle: return "change"
        case .first: return "first"
        case .lastLoggingStopped: return "last-logging-stopped"
        case .lastControllerSuspended: return "last-controller-suspended"
        case .lastQueueFull: return "last-queue-full"
        case .reserved(let value): return "reserved-\(value)"
        }
    }

    static func text(_ record: CDQRecord, _ entry: MigrationQueueEntry) -> String {
        let status = status(record, entry)
        switch status {
        case "change":
            return "cdqid \(record.cdqid) nsid \(entry.nsid) slba \(entry.startingLBA) blocks \(entry.blockCount())"
                + (entry.deallocated ? " deallocated" : "")
        case "overflow":
            return "cdqid \(record.cdqid) overflow: changes were lost; every LBA of the namespace may have changed"
        case "queue-lost":
            return "cdqid \(record.cdqid) queue lost: \(record.loss?.description ?? "reason \(record.detail)")"
        case _ where record.kind == .problem:
            return "cdqid \(record.cdqid) \(status): \(record.problem?.description ?? "unknown problem"); nsid \(entry.nsid) "
                + "slba \(entry.startingLBA) nlb \(entry.numberOfLogicalBlocks) attributes 0x\(String(entry.attributes, radix: 16)); "
                + "every LBA of the namespace may have changed"
        default:
            return "cdqid \(record.cdqid) \(status)"
        }
    }

    static func json(_ record: CDQRecord, _ entry: MigrationQueueEntry) -> JSON {
        var fields: [(String, JSON)] = [("cdqid", .uint(record.cdqid)), ("status", .string(status(record, entry)))]
        if record.kind == .queueLost, let loss = record.loss { fields.append(("reason", .string(loss.name))) }
        if record.kind != .queueLost && entry.entryStatus == .middle {
            fields += [("nsid", .uint(entry.nsid)), ("slba", .uint(entry.startingLBA)),
                       ("blocks", .uint(entry.blockCount())), ("deallocated", .bool(entry.deallocated))]
        }
        return .object(fields)
    }

    func summary(_ totals: QueueStatistics) -> String {
        "\(records) entries (\(changes) changes, \(overflows) overflows, \(problems) problems), \(totals.headUpdates) head updates, \(totals.wakeups) wake-ups"
    }
}

/// The periodic rate line on stderr.
struct RateReporter {
    let intervalNanoseconds: UInt64
    private var last: UInt64
    private var lastEntries: UInt64 = 0

    init(intervalNanoseconds: UInt64, start: UInt64) {
        self.intervalNanoseconds = intervalNanoseconds
        last = start
    }

    mutating func line(now: UInt64, statistics: QueueStatistics?) -> String? {
        guard now - last >= intervalNanoseconds, let statistics else { return nil }
        let rate = Double(statistics.entries - lastEntries) * 1e9 / Double(now - last)
        last = now
        lastEntries = statistics.entries
        return "\(statistics.entries) entries (\(Int(rate.rounded()))/s), \(statistics.headUpdates) head updates, "
            + "\(statistics.ringFullStalls) stalls, \(statistics.overflows) overflows, \(statistics.adminErrors) admin errors"
    }
}
