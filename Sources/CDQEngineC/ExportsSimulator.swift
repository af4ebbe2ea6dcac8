import CCDQEngine
import CDQNVMe
import CDQSimulator

#if canImport(Glibc)
import Glibc
#endif

// The C entry points for the simulated subsystem: agents' own tests attach
// queues to it and run random writers against its controllers.

func defaultSimulatorConfig() -> cdq_simulator_config {
    let defaults = SubsystemConfiguration()
    var config = cdq_simulator_config()
    config.size = UInt32(MemoryLayout<cdq_simulator_config>.size)
    config.controllers = UInt32(defaults.migratableControllers)
    config.namespace_blocks = defaults.namespaceCapacity
    config.lba_size = UInt32(defaults.lbaSize)
    config.keep_data = 0
    return config
}

@_cdecl("cdq_simulator_config_init")
public func cdqSimulatorConfigInit(_ config: UnsafeMutablePointer<cdq_simulator_config>?) {
    config?.pointee = defaultSimulatorConfig()
}

@_cdecl("cdq_simulator_create")
public func cdqSimulatorCreate(_ config: UnsafePointer<cdq_simulator_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let out = try required(out, "out")
        let given = config == nil
            ? defaultSimulatorConfig()
            : try StructIO.read(UnsafeRawPointer(config), over: defaultSimulatorConfig(), name: "cdq_simulator_config")
        guard (1...4096).contains(given.controllers) else {
            throw CAPIError(EINVAL, "cdq_simulator_config.controllers is \(given.controllers); it must be 1...4096")
        }
        guard (512...65_536).contains(given.lba_size), given.lba_size.nonzeroBitCount == 1 else {
            throw CAPIError(EINVAL, "cdq_simulator_config.lba_size is \(given.lba_size); it must be a power of two, 512...65536")
        }
        guard given.namespace_blocks >= 64, given.namespace_blocks <= 1 << 40 else {
            throw CAPIError(EINVAL, "cdq_simulator_config.namespace_blocks is \(given.namespace_blocks); it must be 64...2^40")
        }
        guard given.keep_data <= 1 else { throw CAPIError(EINVAL, "cdq_simulator_config.keep_data must be 0 or 1") }
        let simulator = try CSimulator(SubsystemConfiguration(
            migratableControllers: Int(given.controllers), namespaceCapacity: given.namespace_blocks,
            lbaSize: Int(given.lba_size), backing: given.keep_data == 1 ? .memory : .discard))
        out.pointee = try Handles.simulators.insert(simulator)
        return 0
    }
}

@_cdecl("cdq_simulator_destroy")
public func cdqSimulatorDestroy(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        let simulator = try Handles.simulators.remove(handle) { simulator in
            let attached = simulator.attached.load(ordering: .relaxed)
            return attached == 0 ? nil : CAPIError(EBUSY, "the simulator still has \(attached) attached queues: detach them first")
        }
        simulator.stopWriters()
        simulator.runner.stop()
        return 0
    }
}

func defaultWriterConfig() -> cdq_writer_config {
    var config = cdq_writer_config()
    config.size = UInt32(MemoryLayout<cdq_writer_config>.size)
    config.writes_per_second = 5_000
    config.seed = 1
    return config
}

@_cdecl("cdq_writer_config_init")
public func cdqWriterConfigInit(_ config: UnsafeMutablePointer<cdq_writer_config>?) {
    config?.pointee = defaultWriterConfig()
}

@_cdecl("cdq_simulator_start_writers")
public func cdqSimulatorStartWriters(_ handle: OpaquePointer?, _ config: UnsafePointer<cdq_writer_config>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let simulator = try Handles.simulators.object(handle)
        let given = config == nil
            ? defaultWriterConfig()
            : try StructIO.read(UnsafeRawPointer(config), over: defaultWriterConfig(), name: "cdq_writer_config")
        guard given.writes_per_second.isFinite, given.writes_per_second >= 0 else {
            throw CAPIError(EINVAL, "cdq_writer_config.writes_per_second must be finite and >= 0")
        }
        guard given.reserved == 0 else { throw CAPIError(EINVAL, "cdq_writer_config.reserved must be 0") }
        try simulator.startWriters(writesPerSecond: given.writes_per_second, seed: given.seed)
        return 0
    }
}

@_cdecl("cdq_simulator_stop_writers")
public func cdqSimulatorStopWriters(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        guard try Handles.simulators.object(handle).stopWriters() else {
            throw CAPIError(EALREADY, "the simulator's writers are not running")
        }
        return 0
    }
}

@_cdecl("cdq_simulator_writer_stats")
public func cdqSimulatorWriterStats(_ handle: OpaquePointer?, _ cntlid: UInt16, _ out: UnsafeMutablePointer<cdq_writer_stats>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let simulator = try Handles.simulators.object(handle)
        guard let counts = simulator.writerCounts(cntlid: cntlid), let controller = simulator.subsystem.controller(cntlid) else {
            throw CAPIError(ENODEV, "the simulator has no migratable controller \(cntlid)")
        }
        var stats = cdq_writer_stats()
        stats.size = UInt32(MemoryLayout<cdq_writer_stats>.size)
        stats.operations = counts.operations
        stats.blocks = counts.blocks
        stats.errors = counts.errors
        stats.lost = controller.lostChanges
        try StructIO.write(stats, to: UnsafeMutableRawPointer(out), name: "cdq_writer_stats")
        return 0
    }
}

@_cdecl("cdq_simulator_post_entry")
public func cdqSimulatorPostEntry(_ handle: OpaquePointer?, _ cntlid: UInt16, _ entry: UnsafePointer<UInt8>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let simulator = try Handles.simulators.object(handle)
        guard let entry else { throw CAPIError(EINVAL, "entry is NULL") }
        guard let controller = simulator.subsystem.controller(cntlid) else {
            throw CAPIError(ENODEV, "the simulator has no migratable controller \(cntlid)")
        }
        guard controller.postHostileEntry(MigrationQueueEntry(bytes: UnsafeRawPointer(entry))) else {
            throw CAPIError(EAGAIN, "controller \(cntlid) has no queue, or its queue is full")
        }
        return 0
    }
}

@_cdecl("cdq_simulator_delete_queue")
public func cdqSimulatorDeleteQueue(_ handle: OpaquePointer?, _ cntlid: UInt16) -> Int32 {
    cCall { () throws(CAPIError) in
        let simulator = try Handles.simulators.object(handle)
        guard simulator.subsystem.controller(cntlid) != nil else {
            throw CAPIError(ENODEV, "the simulator has no migratable controller \(cntlid)")
        }
        guard simulator.subsystem.deleteQueueBehindTheHost(cntlid: cntlid) else {
            throw CAPIError(ENOENT, "controller \(cntlid) has no queue")
        }
        return 0
    }
}
