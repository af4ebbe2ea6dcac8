import CDQEngine
import CDQKernel
import CDQNVMe
import CDQUring

/// Admin passthrough on /dev/nvmeN against QEMU's emulated controller.
struct AdminChecks {
    let admin: NVMePassthrough
    let options: SelftestOptions
    let environment: Environment

    /// The namespace geometry, for the I/O checks that follow.
    struct Geometry { var lbaSize: Int; var capacity: UInt64 }

    func run(_ report: inout Report) -> Geometry? {
        report.check("identify-controller") { try identifyController() }
        let geometry = report.check("identify-namespace") { try identifyNamespace() }
        report.check("get-features-number-of-queues") { try numberOfQueues() }
        report.check("get-log-page-smart") { try smartLog() }
        report.check("admin-48-in-flight") { try manyInFlight() }
        if environment.controllerHasCDQs {
            report.check("create-delete-cdq-passthrough") { try createAndDeleteThroughPassthrough() }
        } else {
            report.check("create-cdq-invalid-opcode") { try createCDQIsRejected() }
        }
        report.check("unknown-feature-invalid-field") { try unknownFeatureIsRejected() }
        if environment.hasCDQIoctl {
            report.check("cdq-ioctl-present") { try ioctlIsPresent() }
        } else {
            report.check("cdq-ioctl-absent") { try ioctlIsAbsent() }
        }
        return geometry
    }

    func identifyController() throws {
        let buffer = Buffer(4096)
        _ = try admin.execute(.identify(.controller), data: buffer.bytes)
        guard let data = IdentifyController(buffer: buffer.raw) else { throw Failure("short identify data") }
        try require(!data.serialNumber.isEmpty && data.serialNumber == environment.serial, "serial '\(data.serialNumber)'")
        if let serial = options.serial {
            try require(data.vid == 0x1B36, "vendor id 0x\(String(data.vid, radix: 16)), expected 0x1b36 (QEMU)")
            try require(data.serialNumber == serial, "serial '\(data.serialNumber)', expected '\(serial)'")
        }
        print("info controller: vid 0x\(String(data.vid, radix: 16)) sn '\(data.serialNumber)' mn '\(data.modelNumber)' cntlid \(data.controllerID)")
    }

    func identifyNamespace() throws -> Geometry {
        let buffer = Buffer(4096)
        _ = try admin.execute(.identify(.namespace(1)), data: buffer.bytes)
        guard let data = IdentifyNamespace(buffer: buffer.raw), let lbaSize = data.lbaDataSize else {
            throw Failure("identify namespace data unusable")
        }
        try require(lbaSize == 512 || lbaSize == 4096, "LBA size \(lbaSize)")
        try require(data.nsze * UInt64(lbaSize) == 64 << 20, "namespace of \(data.nsze) LBAs, expected 64 MiB")
        return Geometry(lbaSize: Int(lbaSize), capacity: data.nsze)
    }

    func numberOfQueues() throws {
        let dw0 = try admin.execute(.getFeatures(featureID: FeatureID.numberOfQueues))
        let submissionQueues = (dw0 & 0xFFFF) + 1, completionQueues = (dw0 >> 16) + 1
        try require(submissionQueues >= 1 && completionQueues >= 1 && submissionQueues < 0x10000, "dw0 0x\(String(dw0, radix: 16))")
        print("info number of queues: \(submissionQueues) SQ, \(completionQueues) CQ")
    }

    func smartLog() throws {
        let buffer = Buffer(512)
        _ = try admin.execute(.getLogPage(logPageID: 0x02, numberOfDwords: 128), data: buffer.bytes)
        // Composite temperature (bytes 1-2, kelvin) is non-zero on QEMU.
        let kelvin = UInt16(buffer.bytes[1]) | UInt16(buffer.bytes[2]) << 8
        try require(kelvin > 200 && kelvin < 400, "composite temperature \(kelvin) K")
    }

    /// 48 commands submitted before any completion is reaped; each result is
    /// checked against what the same command returned on its own.
    func manyInFlight() throws {
        let features: [UInt8] = [FeatureID.arbitration, FeatureID.numberOfQueues, FeatureID.temperatureThreshold, FeatureID.powerManagement]
        var expectedDW0: [UInt8: UInt32] = [:]
        for fid in features { expectedDW0[fid] = try admin.execute(.getFeatures(featureID: fid)) }
        let serial = environment.serial

        var buffers: [CommandTicket: Buffer] = [:]
        var featureOf: [CommandTicket: UInt8] = [:]
        for i in 0..<48 {
            if i % 2 == 0 {
                let buffer = Buffer(4096)
                buffers[try admin.submit(.identify(.controller), data: buffer.bytes)] = buffer
            } else {
                let fid = features[(i / 2) % features.count]
                featureOf[try admin.submit(.getFeatures(featureID: fid))] = fid
            }
        }
        try require(admin.inFlight == 48, "\(admin.inFlight) in flight, expected 48")
        try admin.flush()

        var completed = Set<CommandTicket>(), problems: [String] = []
        while completed.count < 48 && problems.isEmpty {
            try admin.reap(waitingFor: 1) { ticket, outcome in
                if !completed.insert(ticket).inserted { problems.append("\(ticket.tag) completed twice") }
                do {
                    let dw0 = try outcome.get()
                    if let buffer = buffers[ticket] {
                        let sn = IdentifyController(buffer: buffer.raw)?.serialNumber
                        if sn != serial { problems.append("identify \(ticket.tag) serial \(sn ?? "nil")") }
                    } else if let fid = featureOf[ticket], dw0 != expectedDW0[fid] {
                        problems.append("feature 0x\(String(fid, radix: 16)) dw0 0x\(String(dw0, radix: 16))")
                    }
                } catch {
                    problems.append("\(ticket.tag): \(error)")
                }
            }
        }
        try require(problems.isEmpty, problems.joined(separator: "; "))
        try require(admin.inFlight == 0 && admin.staleCompletions == 0, "in flight \(admin.inFlight), stale \(admin.staleCompletions)")
    }

    /// Upstream QEMU has no CDQ emulation: opcode 0x45 must come back typed.
    /// Should a queue be created after all, it is deleted before its
    /// memory is given back.
    func createCDQIsRejected() throws {
        let queue = Buffer(4096)
        let create = NVMeCommand.controllerDataQueueCreate(
            physicallyContiguous: true, migratableController: environment.cntlid, sizeInDwords: 1024, prp1: 0)
        do {
            let cdqid = UInt16(truncatingIfNeeded: try admin.execute(create, data: queue.bytes))
            try deleteThroughPassthrough(cdqid, memory: queue)
            throw Failure("Create CDQ succeeded on a controller without CDQ support (CDQID \(cdqid), deleted)")
        } catch let error as PassthroughError {
            guard case .nvme(let status) = error, status.matches(.invalidCommandOpcode), status.doNotRetry else { throw error }
            print("info create-cdq: \(status)")
        }
    }

    func unknownFeatureIsRejected() throws {
        do {
            _ = try admin.execute(.getFeatures(featureID: 0x7F))
            throw Failure("Get Features 0x7F succeeded")
        } catch let error as PassthroughError {
            guard case .nvme(let status) = error, status.matches(.invalidFieldInCommand) else { throw error }
        }
    }

    /// An upstream kernel has no NVME_IOCTL_CDQ: the refusal must say so.
    /// Through the kernel backend, which deletes what it created, so even
    /// an unexpected queue is not left pointing at freed memory.
    func ioctlIsAbsent() throws {
        let backend = try KernelQueueBackend(path: admin.device.path)
        let memory = try QueueMemory.allocate(backend.memoryPolicy(entries: 128))
        do {
            let id = try backend.createQueue(memory: memory, cntlid: environment.cntlid, eventFD: try EventFD())
            try? backend.deleteQueue(id)
            if !backend.createdQueues.isEmpty { KeptMemory.keep(memory) }
            throw Failure("NVME_IOCTL_CDQ created CDQID \(id) on a kernel detected without it")
        } catch QueueLifecycleError.create(let text, _) where text.hasSuffix(CDQIoctlError.kernelLacksIoctl.description) {
            return
        }
    }

    /// With the RFC: a CDQ controller takes the create and the delete; one
    /// without CDQs refuses the create by name and nothing is left.
    func ioctlIsPresent() throws {
        let backend = try KernelQueueBackend(path: admin.device.path)
        let memory = try QueueMemory.allocate(backend.memoryPolicy(entries: 128))
        do {
            let id = try backend.createQueue(memory: memory, cntlid: environment.cntlid, eventFD: try EventFD())
            print("info NVME_IOCTL_CDQ created CDQID \(id) (\(memory.reason))")
            do { try backend.deleteQueue(id) } catch {
                KeptMemory.keep(memory)
                throw error
            }
            try require(environment.controllerHasCDQs, "a controller detected without CDQs created CDQID \(id)")
        } catch QueueLifecycleError.refused(let text, let status) {
            try require(!environment.controllerHasCDQs && status.matches(.invalidCommandOpcode), "refused: \(text)")
        }
        try require(backend.createdQueues.isEmpty, "CDQIDs \(backend.createdQueues) left")
    }

    /// A CDQ controller over passthrough: create, then delete, then the
    /// memory goes back (never the other way round: the controller would
    /// write into freed memory).
    func createAndDeleteThroughPassthrough() throws {
        let queue = Buffer(4096)
        let create = NVMeCommand.controllerDataQueueCreate(
            physicallyContiguous: true, migratableController: environment.cntlid, sizeInDwords: 1024, prp1: 0)
        let cdqid = UInt16(truncatingIfNeeded: try admin.execute(create, data: queue.bytes))
        print("info passthrough Create CDQ: CDQID \(cdqid)")
        try deleteThroughPassthrough(cdqid, memory: queue)
    }

    /// Deletes `cdqid`; if that fails, `memory` is kept alive for good.
    func deleteThroughPassthrough(_ cdqid: UInt16, memory: Buffer) throws {
        do { _ = try admin.execute(.controllerDataQueueDelete(cdqid: cdqid)) } catch {
            KeptAlive.forever(memory)
            throw Failure("Delete CDQ \(cdqid) failed (\(error)); its memory is kept")
        }
    }
}
