import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring
import Testing

/// A simulated subsystem served by its controller thread, an engine, and
/// queues attached through the simulator transport.
final class EngineFixture {
    let subsystem: SimulatedSubsystem
    let runner: ControllerRunner
    let engine: Engine
    let transport: SimulatorTransport
    let control: AdminChannel
    /// The simulator as a `QueueBackend`: queues attach through the same
    /// lifecycle (`AttachedQueue`) as on the kernel.
    let backend: SimulatedQueueBackend
    var queues: [AttachedQueue] = []

    init(controllers: Int, configuration: EngineConfiguration = EngineConfiguration(),
         capacity: UInt64 = 1 << 16, adminDepth: Int = 1024, onQueueError: (@Sendable (QueueHandle, NVMeStatus) -> Void)? = nil,
         onQueueProblem: (@Sendable (QueueHandle, QueueProblem) -> Void)? = nil) throws {
        subsystem = try SimulatedSubsystem(SubsystemConfiguration(
            migratableControllers: controllers, namespaceCapacity: capacity, backing: .discard))
        runner = try ControllerRunner(subsystem: subsystem)
        try runner.start()
        engine = try Engine(configuration, onQueueError: onQueueError, onQueueProblem: onQueueProblem)
        transport = SimulatorTransport(channel: try runner.openChannel(depth: adminDepth))
        control = try runner.openChannel(depth: 4)
        backend = SimulatedQueueBackend(subsystem: subsystem, transport: transport)
    }

    deinit {
        queues.forEach { try? $0.detach() }
        engine.shutdown()
        runner.stop()
    }

    @discardableResult
    func attach(cntlid: UInt16, entries: UInt32, consumer: Consumer, scope: QueueScope? = nil) throws -> AttachedQueue {
        let queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer,
                                      cntlid: cntlid, entries: entries, scope: scope)
        queues.append(queue)
        return queue
    }

    func write(_ cntlid: UInt16, lba: UInt64, blocks: UInt32 = 1) -> NVMeStatus {
        subsystem.controller(cntlid)!.write(nsid: UInt32(cntlid), startingLBA: lba, blockCount: blocks, data: nil)
    }
}

/// Pops records until `count` arrived or `timeoutNanoseconds` passed.
func collect(_ consumer: Consumer, count: Int, timeoutNanoseconds: UInt64 = 5_000_000_000) -> [CDQRecord] {
    var records: [CDQRecord] = []
    let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 256)
    defer { buffer.deallocate() }
    let deadline = MonotonicClock.nanoseconds() + timeoutNanoseconds
    while records.count < count && MonotonicClock.nanoseconds() < deadline {
        consumer.wait(timeoutNanoseconds: 50_000_000)
        let got = consumer.pop(into: buffer)
        records.append(contentsOf: buffer.prefix(got))
    }
    return records
}
