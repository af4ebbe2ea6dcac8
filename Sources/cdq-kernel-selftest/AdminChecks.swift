import CDQKernel
import CDQNVMe

/// Admin passthrough on /dev/nvmeN against QEMU's emulated controller.
struct AdminChecks {
    let admin: NVMePassthrough
    let options: SelftestOptions

    /// The namespace geometry, for the I/O checks that follow.
    struct Geometry { var lbaSize: Int; var capacity: UInt64 }

    func run(_ report: inout Report) -> Geometry? {
        report.check("identify-controller") { try identifyController() }
        let geometry = report.check("identify-namespace") { try identifyNamespace() }
        report.check("get-features-number-of-queues") { try numberOfQueues() }
        report.check("get-log-page-smart") { try smartLog() }
        report.check("admin-48-in-flight") { try manyInFlight() }
        report.check("create-cdq-invalid-opcode") { try createCDQIsRejected() }
        report.check("unknown-feature-invalid-field") { try unknownFeatureIsRejected() }
        report.check("cdq-ioctl-absent") { try ioctlIsAbsent() }
        return geometry
    }

    func identifyController() throws {
        let buffer = Buffer(4096)
        _ = try admin.execute(.identify(.controller), data: buffer.bytes)
        guard let data = IdentifyController(buffer: buffer.raw) else { throw Failure("short identify data") }
        try require(data.vid == 0x1B36, "vendor id 0x\(String(data.vid, radix: 16)), expected 0x1b36 (QEMU)")
        try require(data.serialNumber == options.serial, "serial '\(data.serialNumber)', expected '\(options.serial)'")
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
        let serial = options.serial

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
    func createCDQIsRejected() throws {
        let queue = Buffer(4096)
        let create = NVMeCommand.controllerDataQueueCreate(
            physicallyContiguous: true, migratableController: 0, sizeInDwords: 1024, prp1: 0)
        do {
            _ = try admin.execute(create, data: queue.bytes)
            throw Failure("Create CDQ succeeded on a controller without CDQ support")
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
    func ioctlIsAbsent() throws {
        let queue = Buffer(4096)
        do {
            let id = try CDQIoctl.create(controller: admin.device, memory: queue.bytes, cntlid: 0)
            throw Failure("NVME_IOCTL_CDQ created CDQID \(id) on an upstream kernel")
        } catch CDQIoctlError.kernelLacksIoctl {
            return
        }
    }
}
