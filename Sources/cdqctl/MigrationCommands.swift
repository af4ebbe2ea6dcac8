import ArgumentParser
import CDQKernel
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

struct MigrationSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration-send", abstract: "Suspend or resume a migratable controller (Migration Send).")

    @OptionGroup var common: CommonOptions
    @Option(help: "CNTLID of the migratable controller.") var cntlid: UInt16
    @Flag(help: "Suspend the controller (SEL 0).") var suspend = false
    @Flag(help: "Resume the controller (SEL 1).") var resume = false
    @Flag(help: "With --suspend: only notify (STYPE 0) instead of suspending.") var notification = false
    @Flag(help: "With --suspend: delete the user data migration queue (DUDMQ).") var deleteQueue = false

    func validate() throws {
        guard suspend != resume else { throw ValidationError("give exactly one of --suspend or --resume") }
        if resume && (notification || deleteQueue) {
            throw ValidationError("--notification and --delete-queue apply to --suspend only")
        }
    }

    func run() throws {
        try runReportingErrors(json: common.json) {
            let command: NVMeCommand = suspend
                ? .migrationSendSuspend(cntlid: cntlid, suspendType: notification ? .notification : .suspend,
                                        deleteUserDataMigrationQueue: deleteQueue)
                : .migrationSendResume(cntlid: cntlid)
            _ = try openAdmin(common.device).execute(command)
            emit([("cntlid", .uint(cntlid)), ("action", .string(suspend ? (notification ? "notify" : "suspend") : "resume"))],
                 json: common.json)
        }
    }
}

struct MigrationRecv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration-recv", abstract: "Read a migratable controller's state (Migration Receive).")

    @OptionGroup var common: CommonOptions
    @Option(help: "CNTLID of the migratable controller.") var cntlid: UInt16
    @Option(help: "Byte offset into the controller state.") var offset: UInt64 = 0
    @Option(help: "Bytes to read (a multiple of 4).") var size: UInt32 = 4096
    @Option(help: "Write the raw state to this file.") var output: String?

    func validate() throws {
        guard size >= 4, size % 4 == 0 else { throw ValidationError("--size must be a positive multiple of 4") }
    }

    func run() throws {
        try runReportingErrors(json: common.json) {
            let admin = try openAdmin(common.device)
            let fields = try withPageAligned(Int(size)) { buffer -> [(String, JSON)] in
                _ = try admin.execute(
                    .migrationReceiveGetState(cntlid: cntlid, offset: offset, numberOfDwords: size / 4), data: buffer)
                if let output { try write(buffer, to: output) }
                let header = ControllerStateHeader(buffer: UnsafeRawBufferPointer(buffer))
                return [
                    ("cntlid", .uint(cntlid)), ("bytes", .uint(size)),
                    ("suspended", header.map { .bool($0.isSuspended) } ?? .null),
                    ("output", output.map { .string($0) } ?? .null),
                ]
            }
            emit(fields, json: common.json)
        }
    }

    func write(_ buffer: UnsafeMutableRawBufferPointer, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            guard n > 0 else { throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}
