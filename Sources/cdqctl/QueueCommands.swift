import ArgumentParser
import CDQKernel
import CDQNVMe

struct CreateCDQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-cdq",
        abstract: "Create a Controller Data Queue (user data migration queue) for a migratable controller.",
        discussion: """
            By default the Create command goes through admin passthrough, like nvme-cli's lm plugin: \
            the queue memory is only pinned while the command runs and is freed when cdqctl exits, \
            so this is a diagnostic; delete the queue before the controller logs into it. \
            With --ioctl the kernel's NVME_IOCTL_CDQ (the CDQ RFC) creates it and keeps the memory pinned.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "CNTLID of the migratable controller.") var cntlid: UInt16
    @Option(help: "Queue size in 32-byte entries.") var entries: UInt32 = 128
    @Option(help: "Queue type (MOS[7:0]); 0 = user data migration queue.") var queueType: UInt8 = 0
    @Flag(help: "Create through NVME_IOCTL_CDQ instead of admin passthrough.") var ioctl = false

    func validate() throws {
        try validateQueueEntries(entries, flag: "--entries")
    }

    func run() throws {
        try runReportingErrors(json: common.json) {
            let bytes = Int(entries) * MigrationQueueEntry.size
            let cdqid: UInt16 = try withPageAligned(bytes) { memory in
                if ioctl {
                    let device = try NVMeCharacterDevice(path: common.device)
                    return try CDQIoctl.create(controller: device, memory: memory, cntlid: cntlid, managementOperationSpecific: UInt16(queueType))
                }
                let admin = try openAdmin(common.device)
                let create = NVMeCommand.controllerDataQueueCreate(
                    queueType: queueType, physicallyContiguous: true, migratableController: cntlid,
                    sizeInDwords: UInt32(bytes / 4), prp1: 0)
                return UInt16(truncatingIfNeeded: try admin.execute(create, data: memory))
            }
            recordCreated(cdqid, cntlid: cntlid, device: common.device, throughIoctl: ioctl)
            emit([("cdqid", .uint(cdqid)), ("cntlid", .uint(cntlid)), ("entries", .uint(entries))], json: common.json)
        }
    }
}

struct DeleteCDQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-cdq", abstract: "Delete a Controller Data Queue.",
        discussion: """
            A queue that its record (/run/cdq-engine) shows as created through NVME_IOCTL_CDQ is deleted             through the ioctl, so that the kernel unpins its pages and forgets it; any other through             admin passthrough. The ioctl is never used for an id without such a record: the RFC kernel             crashes on an id it did not create.
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: "The CDQID to delete.") var cdqid: UInt16

    func run() throws {
        try runReportingErrors(json: common.json) {
            let through = try deleteQueue(cdqid, device: common.device)
            emit([("cdqid", .uint(cdqid)), ("deleted", .bool(true)), ("through", .string(through))], json: common.json)
        }
    }
}

struct TrackSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track-send", abstract: "Start or stop logging user data changes into a CDQ.")

    @OptionGroup var common: CommonOptions
    @Option(help: "The CDQID that receives the log.") var cdqid: UInt16
    @Flag(help: "Start logging (LACT=1).") var start = false
    @Flag(help: "Stop logging (LACT=0).") var stop = false

    func validate() throws {
        guard start != stop else { throw ValidationError("give exactly one of --start or --stop") }
    }

    func run() throws {
        try runReportingErrors(json: common.json) {
            _ = try openAdmin(common.device).execute(.trackSend(cdqid: cdqid, logging: start ? .start : .stop))
            emit([("cdqid", .uint(cdqid)), ("logging", .bool(start))], json: common.json)
        }
    }
}

struct SetCDQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-cdq",
        abstract: "Set a CDQ's head pointer and tail pointer trigger (Set Features FID 0x21).",
        discussion: "Without --trigger the trigger is disarmed (ETPT=0), as the protocol requires."
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The CDQID.") var cdqid: UInt16
    @Option(help: "New head pointer (entry index).") var head: UInt32
    @Option(help: "Arm the tail pointer trigger at this entry index.") var trigger: UInt32?

    func run() throws {
        try runReportingErrors(json: common.json) {
            let command = NVMeCommand.setControllerDataQueue(cdqid: cdqid, head: head, tailPointerTrigger: trigger)
            _ = try openAdmin(common.device).execute(command)
            emit([
                ("cdqid", .uint(cdqid)), ("head", .uint(head)),
                ("trigger", trigger.map { .uint($0) } ?? .null),
            ], json: common.json)
        }
    }
}

struct GetCDQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-cdq", abstract: "Read a CDQ's head pointer and tail pointer trigger (Get Features FID 0x21).")

    @OptionGroup var common: CommonOptions
    @Option(help: "The CDQID.") var cdqid: UInt16

    func run() throws {
        try runReportingErrors(json: common.json) {
            let admin = try openAdmin(common.device)
            let data = try withPageAligned(CDQFeatureData.size) { buffer -> CDQFeatureData? in
                _ = try admin.execute(.getControllerDataQueue(cdqid: cdqid), data: buffer)
                return CDQFeatureData(buffer: UnsafeRawBufferPointer(buffer))
            }
            guard let data else { throw ValidationError("Get Features returned short data") }
            emit([
                ("cdqid", .uint(cdqid)), ("head", .uint(data.head)),
                ("trigger", .uint(data.tailPointerTrigger)),
            ], json: common.json)
        }
    }
}
