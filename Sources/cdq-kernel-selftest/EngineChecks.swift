import CDQEngine
import CDQKernel
import CDQNVMe
import CDQUring

/// The engine's loop on the real driver: head updates leave as
/// `NVME_URING_CMD_ADMIN` from the loop's own ring and their NVMe status
/// comes back by name. QEMU has no CDQ, so the check plays the controller's
/// part of writing entries, and expects Set Features FID 0x21 to be refused.
struct EngineChecks {
    let controller: NVMeCharacterDevice
    let environment: Environment

    func run(_ report: inout Report) {
        report.check("engine-head-update-over-uring-cmd") { try headUpdatesReachTheController() }
        report.check("engine-admin-path-with-data") { try adminCommandsCarryTheirData() }
        switch (environment.hasCDQIoctl, environment.controllerHasCDQs) {
        case (false, _):
            report.check("kernel-backend-refuses-without-rfc") { try theKernelBackendLeavesNothingWithoutTheRFC() }
        case (true, false):
            report.check("kernel-backend-refuses-without-cdqs") { try theKernelBackendLeavesNothingWithoutCDQs() }
        case (true, true):
            report.check("kernel-backend-queue-lifecycle") { try aQueueLivesAndIsDeleted() }
        }
    }

    /// The statuses a head update or Track Send for `Environment.unusedCDQID`
    /// may come back with: QEMU without CDQs knows neither FID 0x21 nor the
    /// opcode; a CDQ controller knows them and refuses the unknown queue.
    func expectedRefusals(headUpdate: Bool) -> [NVMeStatus] {
        if environment.controllerHasCDQs { return [.invalidControllerDataQueue, .invalidFieldInCommand] }
        return [headUpdate ? .invalidFieldInCommand : .invalidCommandOpcode]
    }

    /// Identify (with a 4 KiB data buffer) and Track Send through the
    /// engine's own uring_cmd path: the data arrives, QEMU's refusal of
    /// Track Send (no TP4159) arrives by name.
    func adminCommandsCarryTheirData() throws {
        let engine = try Engine()
        defer { engine.shutdown() }
        let transport = KernelTransport(controller: controller)
        let data = Buffer(4096)
        let identify = try engine.executeAdmin(.identify(.controller), data: data.bytes, via: transport)
        try require(identify.isSuccess, "Identify through the engine: \(identify)")
        let serial = IdentifyController(buffer: UnsafeRawBufferPointer(data.bytes))?.serialNumber
        try require(serial == environment.serial, "serial number read through the engine: \(serial ?? "none")")
        let track = try engine.executeAdmin(.trackSend(cdqid: Environment.unusedCDQID, logging: .stop), via: transport)
        guard case .completed(let status, _) = track, expectedRefusals(headUpdate: false).contains(where: status.matches) else {
            throw Failure("Track Send through the engine: \(track)")
        }
        print("info engine Track Send: \(status)")
    }

    /// The kernel backend on a stock kernel: the RFC ioctl is missing, the
    /// attach says so, and nothing is left (no CDQID recorded, the engine
    /// holds no queue, descriptors and mappings as before).
    func theKernelBackendLeavesNothingWithoutTheRFC() throws {
        let engine = try Engine()
        defer { engine.shutdown() }
        let backend = try KernelQueueBackend(path: controller.path)
        let consumer = try Consumer()
        let descriptors = ProcessResources.openDescriptors(), mappings = ProcessResources.mappings()
        do {
            _ = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: 0, entries: 128)
            throw Failure("a CDQ was created on a kernel without the RFC")
        } catch let error as QueueLifecycleError {
            try require(error.description == "\(controller.path): this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)", "refusal: \(error)")
        }
        try require(backend.createdQueues.isEmpty && engine.statistics.queues == 0, "a queue was left behind")
        try require(ProcessResources.openDescriptors() == descriptors, "descriptors: \(descriptors) before, \(ProcessResources.openDescriptors()) after")
        try require(ProcessResources.mappings() == mappings, "mappings: \(mappings) before, \(ProcessResources.mappings()) after")
    }

    /// The RFC without a CDQ controller: the attach is refused by name
    /// (Invalid Command Opcode) and nothing is left.
    func theKernelBackendLeavesNothingWithoutCDQs() throws {
        let engine = try Engine()
        defer { engine.shutdown() }
        let backend = try KernelQueueBackend(path: controller.path)
        let consumer = try Consumer()
        do {
            _ = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: environment.cntlid, entries: 128)
            throw Failure("a CDQ was created on a controller detected without CDQs")
        } catch QueueLifecycleError.refused(_, let status) {
            try require(status.matches(.invalidCommandOpcode), "refused with \(status)")
        }
        try require(backend.createdQueues.isEmpty && engine.statistics.queues == 0, "a queue was left behind")
    }

    /// The RFC and a CDQ controller: the controller logs its own writes
    /// into a queue created through the ioctl; Track Send start posts FIRST,
    /// the engine's head updates are accepted, Track Send stop posts LAST,
    /// and the queue is deleted through the ioctl before its memory goes.
    func aQueueLivesAndIsDeleted() throws {
        let errors = Locked<[NVMeStatus]>([])
        let engine = try Engine { _, status in errors.withLock { $0.append(status) } }
        defer { engine.shutdown() }
        let backend = try KernelQueueBackend(path: controller.path)
        let consumer = try Consumer()
        let descriptors = ProcessResources.openDescriptors()
        let queue = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: environment.cntlid, entries: 128)
        print("info kernel backend: CDQID \(queue.cdqid), \(queue.memory.reason)")
        try queue.stopLoggingAndDetach()
        var statuses: [CDQRecord] = []
        let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 256)
        defer { records.deallocate() }
        while case let count = consumer.pop(into: records), count > 0 { statuses += records.prefix(count) }
        try require(statuses.first?.entry.entryStatus == .first, "no FIRST entry: \(statuses.map(\.entry.entryStatus))")
        try require(statuses.last?.entry.entryStatus == .lastLoggingStopped, "no LAST entry: \(statuses.map(\.entry.entryStatus))")
        try require(errors.withLock { $0.isEmpty }, "head updates refused: \(errors.withLock { $0 })")
        try require(backend.createdQueues.isEmpty && engine.statistics.queues == 0, "a queue was left behind")
        try require(ProcessResources.openDescriptors() == descriptors, "descriptors: \(descriptors) before, \(ProcessResources.openDescriptors()) after")
    }

    func headUpdatesReachTheController() throws {
        let errors = Locked<[NVMeStatus]>([])
        let engine = try Engine(EngineConfiguration(watchdogIntervalNanoseconds: 1_000_000)) { _, status in
            errors.withLock { $0.append(status) }
        }
        defer { engine.shutdown() }
        let memory = Buffer(4096)
        let event = try EventFD()
        let consumer = try Consumer()
        let handle = try engine.register(QueueRegistration(
            memory: memory.bytes.baseAddress!, entryCount: 128, cdqid: Environment.unusedCDQID, eventFD: event,
            transport: KernelTransport(controller: controller), consumer: consumer))
        for slot in 0..<4 {
            MigrationQueueEntry(nsid: 1, numberOfLogicalBlocks: 7, startingLBA: UInt64(slot * 8), phaseTag: true)
                .write(to: memory.bytes.baseAddress! + slot * 32, includingPhase: true)
        }
        try event.signal()
        var lbas: [UInt64] = []
        let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 8)
        defer { records.deallocate() }
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while (lbas.count < 4 || errors.withLock({ $0.isEmpty })) && MonotonicClock.nanoseconds() < deadline {
            consumer.wait(timeoutNanoseconds: 10_000_000)
            lbas += records.prefix(consumer.pop(into: records)).map(\.entry.startingLBA)
        }
        try require(lbas == [0, 8, 16, 24], "entries delivered: \(lbas)")
        let seen = errors.withLock { $0 }
        try require(!seen.isEmpty, "no head update completed")
        let expected = expectedRefusals(headUpdate: true)
        try require(seen.allSatisfy { status in expected.contains(where: status.matches) && status.doNotRetry },
                    "QEMU answered \(seen.map(\.description))")
        print("info engine head update: \(seen[0])")
        _ = try engine.unregister(handle)
    }
}
