import CCDQEngine
import CDQEngine
import CDQUring
import Logging

#if canImport(Glibc)
import Glibc
#endif

// The C entry points for the version, errors and engines (include/cdq_engine.h).

@_cdecl("cdq_version")
public func cdqVersion() -> UInt32 { Version.packed }

@_cdecl("cdq_version_string")
public func cdqVersionString() -> UnsafePointer<CChar> {
    UnsafeRawPointer(Version.string.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("cdq_last_error")
public func cdqLastError() -> UnsafePointer<CChar> {
    if let buffer = LastError.buffer { return UnsafePointer(buffer) }
    return UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The defaults of `EngineConfiguration`, as C sees them.
func defaultEngineConfig() -> cdq_engine_config {
    let defaults = EngineConfiguration()
    var config = cdq_engine_config()
    config.size = UInt32(MemoryLayout<cdq_engine_config>.size)
    config.max_queues = UInt32(defaults.maximumQueues)
    config.ring_entries = defaults.ringEntries
    config.drain_batch = UInt32(defaults.drainBatch)
    config.watchdog_interval_ns = defaults.watchdogIntervalNanoseconds
    config.trigger_after = 0 // moderated, as EngineConfiguration's default
    config.delivery_budget_ns = defaults.deliveryBudgetNanoseconds
    config.head_update_retries = UInt32(defaults.headUpdateRetries)
    config.polling = defaults.polling == nil ? 0 : 1
    return config
}

@_cdecl("cdq_engine_config_init")
public func cdqEngineConfigInit(_ config: UnsafeMutablePointer<cdq_engine_config>?) {
    config?.pointee = defaultEngineConfig()
}

/// Checks every bound of a C configuration and builds the Swift one.
func engineConfiguration(_ config: cdq_engine_config) throws(CAPIError) -> EngineConfiguration {
    func check(_ ok: Bool, _ field: String, _ value: some BinaryInteger, _ range: String) throws(CAPIError) {
        guard ok else { throw CAPIError(EINVAL, "cdq_engine_config.\(field) is \(value); it must be \(range)") }
    }
    try check((1...65_536).contains(config.max_queues), "max_queues", config.max_queues, "1...65536")
    try check((2...32_768).contains(config.ring_entries), "ring_entries", config.ring_entries, "2...32768")
    try check((1...65_536).contains(config.drain_batch), "drain_batch", config.drain_batch, "1...65536")
    try check((100_000...10_000_000_000).contains(config.watchdog_interval_ns), "watchdog_interval_ns",
              config.watchdog_interval_ns, "100000...10000000000 (0.1 ms to 10 s)")
    // At most what the largest queue (2^20 entries) can wait for before it fills; each attach checks its own size.
    try check((0...(1 << 20) - 2).contains(config.trigger_after), "trigger_after", config.trigger_after,
              "0 (moderated) or 1...\((1 << 20) - 2), and at most entries - 2 of every queue attached")
    let budgets = EngineConfiguration.deliveryBudgetRange
    try check(budgets.contains(config.delivery_budget_ns), "delivery_budget_ns", config.delivery_budget_ns,
              "\(budgets.lowerBound)...\(budgets.upperBound) (100 µs to 1 s)")
    try check(config.head_update_retries <= 1000, "head_update_retries", config.head_update_retries, "0...1000")
    try check(config.polling <= 1, "polling", config.polling, "0 or 1")
    try check(config.reserved == 0, "reserved", config.reserved, "0")
    var configuration = EngineConfiguration(
        maximumQueues: Int(config.max_queues), ringEntries: config.ring_entries, drainBatch: Int(config.drain_batch),
        watchdogIntervalNanoseconds: config.watchdog_interval_ns,
        trigger: config.trigger_after == 0 ? .moderated : config.trigger_after == 1 ? .nextEntry : .afterEntries(config.trigger_after),
        headUpdateRetries: Int(config.head_update_retries), polling: config.polling == 1 ? PollingPolicy() : nil)
    configuration.deliveryBudgetNanoseconds = config.delivery_budget_ns
    configuration.logger = cLibraryLogger
    return configuration
}

/// A C program cannot bootstrap swift-log: the library's own lines go to
/// stderr, warnings and worse only (lost changes, refused head updates,
/// problem entries, lost queues), never the routine attach and detach.
let cLibraryLogger: Logger = {
    var logger = Logger(label: "cdq.engine")
    logger.logLevel = .warning
    return logger
}()

@_cdecl("cdq_engine_create")
public func cdqEngineCreate(_ config: UnsafePointer<cdq_engine_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    cCall { () throws(CAPIError) in
        try createEngine(config, out) { configuration throws(SystemError) in try Engine(configuration) }
    }
}

/// Checks `config` (NULL: the defaults), makes the engine and hands out
/// its handle; an engine that gets no handle is shut down again.
func createEngine(
    _ config: UnsafePointer<cdq_engine_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ make: (EngineConfiguration) throws(SystemError) -> Engine
) throws(CAPIError) -> Int32 {
    let out = try required(out, "out")
    let given = config == nil
        ? defaultEngineConfig()
        : try StructIO.read(UnsafeRawPointer(config), over: defaultEngineConfig(), name: "cdq_engine_config",
                            oldestSize: MemoryLayout<cdq_engine_config>.offset(of: \cdq_engine_config.delivery_budget_ns))
    let configuration = try engineConfiguration(given)
    let engine = try system { () throws(SystemError) in try make(configuration) }
    do throws(CAPIError) {
        out.pointee = try Handles.engines.insert(CEngine(engine))
    } catch {
        engine.shutdown()
        throw error
    }
    return 0
}

@_cdecl("cdq_engine_destroy")
public func cdqEngineDestroy(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        let engine = try Handles.engines.remove(handle) { engine in
            let attached = engine.attached.load(ordering: .relaxed)
            return attached == 0 ? nil : CAPIError(EBUSY, "the engine still has \(attached) attached queues: detach them first")
        }
        engine.engine.shutdown()
        return 0
    }
}

/// A `QueueStatistics` as the C struct.
func cQueueStats(_ statistics: QueueStatistics) -> cdq_queue_stats {
    var stats = cdq_queue_stats()
    stats.size = UInt32(MemoryLayout<cdq_queue_stats>.size)
    stats.entries = statistics.entries
    stats.wakeups = statistics.wakeups
    stats.scans = statistics.scans
    stats.polls = statistics.polls
    stats.head_updates = statistics.headUpdates
    stats.head_updates_coalesced = statistics.headUpdatesCoalesced
    stats.admin_errors = statistics.adminErrors
    stats.ring_full_stalls = statistics.ringFullStalls
    stats.overflows = statistics.overflows
    stats.last_entries = statistics.lastEntries
    stats.watchdog_scans = statistics.watchdogScans
    return stats
}

@_cdecl("cdq_engine_stats_get")
public func cdqEngineStatsGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_engine_stats>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let engine = try Handles.engines.object(handle).engine
        let statistics = engine.statistics
        let latency = engine.wakeupLatency
        var stats = cdq_engine_stats()
        stats.size = UInt32(MemoryLayout<cdq_engine_stats>.size)
        stats.queues = UInt32(statistics.queues)
        stats.turns = statistics.turns
        stats.totals = cQueueStats(statistics.totals)
        stats.latency_count = latency.count
        stats.latency_p50_us = latency.p50
        stats.latency_p99_us = latency.p99
        stats.latency_p999_us = latency.p999
        stats.latency_max_us = latency.maximum
        try StructIO.write(stats, to: UnsafeMutableRawPointer(out), name: "cdq_engine_stats")
        return 0
    }
}
