import CDQNVMe
import Logging

/// What one queue's counters say happened between two ticks, as log lines:
/// one line per kind of event and tick, with the count, never one per entry.
struct QueueEvents {
    let labels: QueueLabels
    let before: QueueStatistics
    let now: QueueStatistics
    let loss: QueueLoss?
    let adminStatus: NVMeStatus?

    func log(to logger: Logger) {
        func metadata(_ extra: Logger.Metadata) -> Logger.Metadata { labels.metadata.merging(extra) { $1 } }
        if now.overflows > before.overflows {
            logger.warning("CDQ overflow: the controller lost changes; every LBA of its namespaces may have changed",
                           metadata: metadata(["overflows": "\(now.overflows - before.overflows)"]))
        }
        if now.adminErrors > before.adminErrors {
            var extra: Logger.Metadata = ["admin_errors": "\(now.adminErrors - before.adminErrors)"]
            if let adminStatus { extra["status"] = "\(adminStatus)" }
            logger.error("head updates refused", metadata: metadata(extra))
        }
        if now.problems > before.problems {
            let kinds = now.problemsByKind.compactMap { kind, count -> String? in
                let gained = count - (before.problemsByKind[kind] ?? 0)
                return gained > 0 ? "\(kind.name)=\(gained)" : nil
            }.sorted().joined(separator: ",")
            logger.warning("entries the engine could not trust, delivered as problem records",
                           metadata: metadata(["problems": "\(now.problems - before.problems)", "kinds": "\(kinds)"]))
        }
        if now.queueLosses > before.queueLosses {
            logger.error("queue lost: nothing more will arrive from it",
                         metadata: metadata(["reason": "\(loss?.name ?? "unknown")"]))
        }
        if now.ringFullStalls > before.ringFullStalls {
            logger.notice("consumer ring full: draining waited for the consumer",
                          metadata: metadata(["stalls": "\(now.ringFullStalls - before.ringFullStalls)"]))
        }
    }
}
