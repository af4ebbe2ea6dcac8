import CDQEngine
import CDQKernel
import CDQNVMe
import CDQSimulator
import ArgumentParser

/// What `--simulate-fault` (hidden; for tests) does to the simulated
/// controller 0.3 s into a watch.
enum SimulatedFault: String, ExpressibleByArgument {
    case deleteQueue = "delete-queue"
    case reset
    case hostileEntry = "hostile-entry"
}

/// What `cdqctl watch` attaches to: a controller device, or a simulated
/// subsystem with its controller thread and random writers.
final class WatchTarget {
    let backend: any QueueBackend
    private let runner: ControllerRunner?
    private let writers: [WorkloadGenerator]
    private let subsystem: SimulatedSubsystem?

    private init(backend: any QueueBackend, runner: ControllerRunner?, writers: [WorkloadGenerator], subsystem: SimulatedSubsystem? = nil) {
        self.backend = backend
        self.runner = runner
        self.writers = writers
        self.subsystem = subsystem
    }

    deinit { runner?.stop() }

    static func device(_ path: String) throws -> WatchTarget {
        WatchTarget(backend: try KernelQueueBackend(path: path), runner: nil, writers: [])
    }

    /// One migratable controller per CNTLID up to `cntlid`; the writers
    /// share `writeRate` and write to controller `cntlid`'s namespace.
    static func simulated(cntlid: UInt16, writers: Int, writeRate: Double, refusal: SimulatedRefusal? = nil,
                          adminCost: AdminCost = .free) throws -> WatchTarget {
        let capacity: UInt64 = 1 << 24
        let subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: Int(cntlid), namespaceCapacity: capacity, backing: .discard))
        refusal?.arm(subsystem.faults)
        let runner = try ControllerRunner(subsystem: subsystem, adminCost: adminCost)
        try runner.start()
        let transport = SimulatorTransport(channel: try runner.openChannel(depth: 64))
        let controller = subsystem.controller(cntlid)!
        let generators = (0..<writers).map { index in
            WorkloadGenerator(target: controller, nsid: UInt32(cntlid), capacity: capacity, lbaSize: 512, spec: WorkloadSpec(
                writesPerSecond: writeRate / Double(writers), seed: UInt64(index + 1), storesData: false))
        }
        return WatchTarget(backend: SimulatedQueueBackend(subsystem: subsystem, transport: transport), runner: runner,
                           writers: generators, subsystem: subsystem)
    }

    /// Makes the simulated controller misbehave (`--simulate-fault`, for tests).
    func inject(_ fault: SimulatedFault, cntlid: UInt16) {
        guard let subsystem else { return }
        Self.inject(fault, into: subsystem, cntlid: cntlid)
    }

    static func inject(_ fault: SimulatedFault, into subsystem: SimulatedSubsystem, cntlid: UInt16) {
        switch fault {
        case .deleteQueue: subsystem.deleteQueueBehindTheHost(cntlid: cntlid)
        case .reset: subsystem.resetController(cntlid: cntlid)
        case .hostileEntry:
            subsystem.controller(cntlid)?.postHostileEntry(
                MigrationQueueEntry(nsid: UInt32(cntlid), numberOfLogicalBlocks: 0, startingLBA: 0, attributes: 4 << 1))
        }
    }

    func startWriters() throws {
        for writer in writers { try writer.start() }
    }

    /// Stops the writers; the number of changes they made, nil for a device.
    func stopWriters() -> UInt64? {
        guard !writers.isEmpty else { return nil }
        return writers.map { $0.stop() }.reduce(0) { $0 + $1.operations - $1.errors }
    }
}
