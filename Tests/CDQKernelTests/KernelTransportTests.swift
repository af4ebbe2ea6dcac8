import CDQEngine
import CDQKernel
import CDQNVMe
import CDQUring
import Testing

/// The engine driving the kernel transport, with the test playing the
/// controller: it writes entries into queue memory the way DMA does and
/// signals the eventfd. The "device" is an eventfd, which refuses
/// URING_CMD, so every head update fails the way a kernel without NVMe
/// passthrough would make it fail; `make test-kernel` runs the same against
/// the real driver.
@Suite struct KernelTransportTests {
    @Test func headUpdatesGoOutAsURingCommandsAndEntriesStillFlow() throws {
        let errors = Locked<[NVMeStatus]>([])
        let engine = try Engine(EngineConfiguration(watchdogIntervalNanoseconds: 1_000_000)) { _, status in
            errors.withLock { $0.append(status) }
        }
        defer { engine.shutdown() }
        let fakeDevice = try EventFD()
        let controller = NVMeCharacterDevice(unverifiedFileDescriptor: fakeDevice.fileDescriptor, kind: .controller)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 32, alignment: 4096)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        let event = try EventFD()
        let consumer = try Consumer()
        let handle = try engine.register(QueueRegistration(
            memory: memory.baseAddress!, entryCount: 16, cdqid: 3, eventFD: event,
            transport: KernelTransport(controller: controller), consumer: consumer))

        for slot in 0..<3 {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 0, startingLBA: UInt64(100 + slot), phaseTag: true)
                .write(to: memory.baseAddress! + slot * 32, includingPhase: true)
        }
        try event.signal()
        var records: [CDQRecord] = []
        let buffer = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 8)
        defer { buffer.deallocate() }
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while records.count < 3 && MonotonicClock.nanoseconds() < deadline {
            consumer.wait(timeoutNanoseconds: 10_000_000)
            records += buffer.prefix(consumer.pop(into: buffer))
        }
        #expect(records.map(\.entry.startingLBA) == [100, 101, 102])
        #expect(records.allSatisfy { $0.cdqid == 3 && $0.queue == handle.index })
        // The loop counts a head update just after it hands the entries over:
        // wait for the refusal to come back rather than racing the loop.
        while errors.withLock({ $0.isEmpty }) && MonotonicClock.nanoseconds() < deadline {
            MonotonicClock.sleep(nanoseconds: 1_000_000)
        }
        let statistics = try #require(engine.statistics(of: handle))
        #expect(statistics.headUpdates >= 1 && statistics.adminErrors >= 1, "\(statistics)")
        #expect(errors.withLock { !$0.isEmpty && $0.allSatisfy { $0 == .internalError } },
                "a kernel refusal reaches the error callback")
        #expect(try engine.unregister(handle) == 3)
    }
}
