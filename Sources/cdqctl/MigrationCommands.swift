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
        commandName: "migration-recv", abstract: "Read a migratable controller's state (Migration Receive).",
        discussion: """
            Decodes the state header (version, CSATTR bit 0 = suspended) and reports how many bytes \
            after it are passed through undecoded: no layout of the state formats (version 1 of the \
            TP4159 emulation included) is known to this project. --output keeps all bytes.
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: "CNTLID of the migratable controller.") var cntlid: UInt16
    @Option(help: "Byte offset into the controller state.") var offset: UInt64 = 0
    @Option(help: "Bytes to read (a multiple of 4).") var size: UInt32 = 4096
    @Option(help: "Write the raw state to this file.") var output: String?
    @Option(help: "Controller state format version to ask for (CSVI, in MOS); the TP4159 emulation returns only the header for 0.")
    var formatVersion: UInt16 = 0

    func validate() throws {
        guard size >= 4, size % 4 == 0 else { throw ValidationError("--size must be a positive multiple of 4") }
    }

    func run() throws {
        try runReportingErrors(json: common.json) {
            let admin = try openAdmin(common.device)
            let fields = try withPageAligned(Int(size)) { buffer -> [(String, JSON)] in
                let dw0: UInt32
                do {
                    dw0 = try admin.execute(.migrationReceiveGetState(
                        cntlid: cntlid, offset: offset, numberOfDwords: size / 4, formatVersion: formatVersion), data: buffer)
                } catch PassthroughError.nvme(let status) where status.matches(.invalidControllerDataQueue) {
                    throw ExplainedRefusal(description: "\(status): the TP4159 emulation answers an unknown CNTLID this way; "
                        + "is \(cntlid) a migratable controller of this subsystem?", status: status)
                }
                if let output { try write(buffer, to: output) }
                // The header is decoded only at offset 0; no layout beyond it is known (protocol-choices.md).
                let header = offset == 0 ? ControllerStateHeader(buffer: UnsafeRawBufferPointer(buffer)) : nil
                let decoded = header == nil ? 0 : ControllerStateHeader.minimumSize
                return [
                    ("cntlid", .uint(cntlid)), ("bytes", .uint(size)), ("format_version", .uint(formatVersion)),
                    ("dw0", .uint(dw0)),
                    ("state_version", header.map { .uint($0.version) } ?? .null),
                    ("suspended", header.map { .bool($0.isSuspended) } ?? .null),
                    ("undecoded_bytes", .uint(Int(size) - decoded)),
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
