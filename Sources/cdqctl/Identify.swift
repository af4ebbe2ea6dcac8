import ArgumentParser
import CDQKernel
import CDQNVMe

struct Identify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Identify the controller (and a namespace).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Also identify this namespace id.")
    var namespace: UInt32?

    func run() throws {
        try runReportingErrors(json: common.json) {
            let admin = try openAdmin(common.device)
            var fields = try withPageAligned(4096) { buffer -> [(String, JSON)] in
                _ = try admin.execute(.identify(.controller), data: buffer)
                guard let id = IdentifyController(buffer: UnsafeRawBufferPointer(buffer)) else {
                    throw ValidationError("identify controller returned short data")
                }
                return [
                    ("device", .string(common.device)), ("vid", .string(hex(id.vid))),
                    ("ssvid", .string(hex(id.ssvid))), ("serial", .string(id.serialNumber)),
                    ("model", .string(id.modelNumber)), ("firmware", .string(id.firmwareRevision)),
                    ("cntlid", .uint(id.controllerID)), ("version", .string(id.version.description)),
                    ("namespaces", .uint(id.numberOfNamespaces)), ("ring_mode", .string(admin.ringMode.rawValue)),
                ]
            }
            if let nsid = namespace {
                fields += try withPageAligned(4096) { buffer -> [(String, JSON)] in
                    _ = try admin.execute(.identify(.namespace(nsid)), data: buffer)
                    guard let ns = IdentifyNamespace(buffer: UnsafeRawBufferPointer(buffer)) else {
                        throw ValidationError("identify namespace returned short data")
                    }
                    return [
                        ("nsid", .uint(nsid)), ("nsze", .uint(ns.nsze)), ("ncap", .uint(ns.ncap)),
                        ("lba_size", ns.lbaDataSize.map { .uint($0) } ?? .null),
                    ]
                }
            }
            emit(fields, json: common.json)
        }
    }
}
