import CCDQEngine
import CDQEngine
import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

// The C entry points for queues: attach, the lifecycle, info and counters.

/// Five seconds: as long as the Swift lifecycle calls wait for a LAST entry.
let defaultLastTimeoutNanoseconds: UInt64 = 5_000_000_000
let knownAttachFlags = UInt32(CDQ_ATTACH_DEFER_LOGGING)

/// The engine and consumer of an attach, checked.
private func attachParties(
    _ engine: OpaquePointer?, _ consumer: OpaquePointer?, entries: UInt32, flags: UInt32
) throws(CAPIError) -> (CEngine, CConsumer) {
    let engine = try Handles.engines.object(engine)
    let consumer = try Handles.consumers.object(consumer)
    if let tooFew = ControllerDataQueue.tooFewEntries(entries) { throw CAPIError(EINVAL, tooFew) }
    guard entries <= 1 << 20 else {
        throw CAPIError(EINVAL, "a queue of \(entries) entries: it must have \(ControllerDataQueue.minimumEntries)...\(1 << 20)")
    }
    // The filling entry leaves `entries - 1` outstanding and is ESA 7: a
    // trigger there would wake the host only once changes are being lost.
    if case .afterEntries(let count) = engine.engine.configuration.trigger, count > entries - 2 {
        throw CAPIError(EINVAL, "cdq_engine_config.trigger_after is \(count); a queue of \(entries) entries fills at "
            + "\(entries - 1) waiting, so it must be at most \(entries - 2) (or give the queue more entries)")
    }
    guard flags & ~knownAttachFlags == 0 else {
        throw CAPIError(EINVAL, "unknown attach flags 0x\(String(flags & ~knownAttachFlags, radix: 16))")
    }
    return (engine, consumer)
}

@_cdecl("cdq_queue_attach_device")
public func cdqQueueAttachDevice(
    _ engine: OpaquePointer?, _ consumer: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ cntlid: UInt16,
    _ entries: UInt32, _ flags: UInt32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(CAPIError) in
        let out = try required(out, "out")
        let (engine, consumer) = try attachParties(engine, consumer, entries: entries, flags: flags)
        guard let path else { throw CAPIError(EINVAL, "device_path is NULL") }
        let backend = try DeviceQueues.backend(for: engine, path: String(cString: path))
        let queue = try attach(engine, consumer, backend, cntlid: cntlid, entries: entries, flags: flags)
        return try publish(CQueue(queue, engine: engine, consumer: consumer, simulator: nil), out)
    }
}

@_cdecl("cdq_queue_attach_simulated")
public func cdqQueueAttachSimulated(
    _ engine: OpaquePointer?, _ consumer: OpaquePointer?, _ simulator: OpaquePointer?, _ cntlid: UInt16,
    _ entries: UInt32, _ flags: UInt32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(CAPIError) in
        let out = try required(out, "out")
        let (engine, consumer) = try attachParties(engine, consumer, entries: entries, flags: flags)
        let simulator = try Handles.simulators.object(simulator)
        guard simulator.subsystem.controller(cntlid) != nil else {
            throw CAPIError(ENODEV, "the simulator has no migratable controller \(cntlid) "
                + "(it has 1...\(simulator.subsystem.controllers.count))")
        }
        // The simulated controller logs one namespace, NSID = CNTLID: the engine checks every entry against it.
        let scope = QueueScope(nsid: UInt32(cntlid), capacity: simulator.subsystem.configuration.namespaceCapacity)
        let queue = try attach(engine, consumer, try simulator.backend(for: engine), cntlid: cntlid, entries: entries, flags: flags,
                               scope: scope)
        return try publish(CQueue(queue, engine: engine, consumer: consumer, simulator: simulator), out)
    }
}

/// The queue lifecycle's attach, the same for every backend.
private func attach(
    _ engine: CEngine, _ consumer: CConsumer, _ backend: any QueueBackend, cntlid: UInt16, entries: UInt32, flags: UInt32,
    scope: QueueScope? = nil
) throws(CAPIError) -> AttachedQueue {
    try lifecycle { () throws(QueueLifecycleError) in
        try AttachedQueue(engine: engine.engine, backend: backend, consumer: consumer.consumer, cntlid: cntlid,
                          entries: entries, startLogging: flags & UInt32(CDQ_ATTACH_DEFER_LOGGING) == 0, scope: scope)
    }
}

/// Hands the new queue to C; if no handle is left, detaches it again.
private func publish(_ queue: CQueue, _ out: UnsafeMutablePointer<OpaquePointer?>) throws(CAPIError) -> Int32 {
    do throws(CAPIError) {
        out.pointee = try Handles.queues.insert(queue)
    } catch {
        try? queue.detaching { _ in }
        throw error
    }
    return 0
}

/// `timeout_ns` as the lifecycle calls take it.
private func lastTimeout(_ nanoseconds: Int64) -> UInt64 {
    nanoseconds < 0 ? defaultLastTimeoutNanoseconds : UInt64(nanoseconds)
}

@_cdecl("cdq_queue_start_logging")
public func cdqQueueStartLogging(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        try Handles.queues.object(handle).withQueue { queue throws(QueueLifecycleError) in try queue.startLogging() }
        return 0
    }
}

@_cdecl("cdq_queue_stop_logging_and_detach")
public func cdqQueueStopLoggingAndDetach(_ handle: OpaquePointer?, _ timeoutNanoseconds: Int64) -> Int32 {
    cCall { () throws(CAPIError) in
        try Handles.queues.object(handle).detaching { queue throws(QueueLifecycleError) in
            try queue.stopLoggingAndDetach(timeoutNanoseconds: lastTimeout(timeoutNanoseconds))
        }
        return 0
    }
}

@_cdecl("cdq_queue_suspend_and_detach")
public func cdqQueueSuspendAndDetach(_ handle: OpaquePointer?, _ timeoutNanoseconds: Int64) -> Int32 {
    cCall { () throws(CAPIError) in
        try Handles.queues.object(handle).detaching { queue throws(QueueLifecycleError) in
            try queue.suspendAndDetach(timeoutNanoseconds: lastTimeout(timeoutNanoseconds))
        }
        return 0
    }
}

@_cdecl("cdq_queue_detach")
public func cdqQueueDetach(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        try Handles.queues.object(handle).detaching { queue throws(QueueLifecycleError) in try queue.detach() }
        return 0
    }
}

@_cdecl("cdq_queue_destroy")
public func cdqQueueDestroy(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        let queue = try Handles.queues.remove(handle) { $0.insidePollRefusal }
        try? queue.detaching { queue throws(QueueLifecycleError) in try queue.detach() }
        return 0
    }
}

@_cdecl("cdq_queue_info_get")
public func cdqQueueInfoGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_queue_info>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let queue = try Handles.queues.object(handle)
        var info = cdq_queue_info()
        info.size = UInt32(MemoryLayout<cdq_queue_info>.size)
        info.index = queue.index
        info.entries = queue.entries
        info.cdqid = queue.cdqid
        info.cntlid = queue.cntlid
        info.attached = queue.isAttached ? 1 : 0
        try StructIO.write(info, to: UnsafeMutableRawPointer(out), name: "cdq_queue_info")
        return 0
    }
}

@_cdecl("cdq_queue_stats_get")
public func cdqQueueStatsGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_queue_stats>?) -> Int32 {
    cCall { () throws(CAPIError) in
        try StructIO.write(cQueueStats(try statistics(of: handle)), to: UnsafeMutableRawPointer(out), name: "cdq_queue_stats")
        return 0
    }
}

@_cdecl("cdq_queue_problem_stats_get")
public func cdqQueueProblemStatsGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_queue_problem_stats>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let statistics = try statistics(of: handle)
        var stats = cdq_queue_problem_stats()
        stats.size = UInt32(MemoryLayout<cdq_queue_problem_stats>.size)
        stats.problems = statistics.problems
        stats.queue_losses = statistics.queueLosses
        storeProblemCounts(statistics.problemsByKind, into: &stats.by_kind)
        try StructIO.write(stats, to: UnsafeMutableRawPointer(out), name: "cdq_queue_problem_stats")
        return 0
    }
}

/// The engine's counters of an attached queue's handle; ENOTCONN once detached.
private func statistics(of handle: OpaquePointer?) throws(CAPIError) -> QueueStatistics {
    let queue = try Handles.queues.object(handle)
    var statistics: QueueStatistics?
    try queue.withQueue { attached in statistics = queue.engine.engine.statistics(of: attached.handle) }
    guard let statistics else { throw CAPIError(ENOTCONN, "the engine no longer holds queue \(queue.cdqid)") }
    return statistics
}
