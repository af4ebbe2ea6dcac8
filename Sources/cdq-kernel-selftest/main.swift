// cdq-kernel-selftest: proves the passthrough path on a real Linux NVMe
// driver. Run inside a QEMU guest by scripts/test-kernel.sh; prints one
// PASS/FAIL line per check and a `selftest: N passed, M failed` summary.

import CDQKernel
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

let options = SelftestOptions.parse(CommandLine.arguments.dropFirst())
var report = Report()

let controller = report.check("open-controller") { () throws -> NVMeCharacterDevice in
    let device = try NVMeCharacterDevice(path: options.controller)
    guard device.kind == .controller else { throw Failure("\(options.controller) opened as \(device.kind)") }
    return device
}
let namespace = report.check("open-generic-namespace") { () throws -> NVMeCharacterDevice in
    let device = try NVMeCharacterDevice(path: options.namespace)
    guard device.kind == .genericNamespace, device.namespaceID == 1 else {
        throw Failure("\(options.namespace) opened as \(device.kind), nsid \(device.namespaceID)")
    }
    return device
}

var geometry: AdminChecks.Geometry?
var environment: Environment?
if let controller, let admin = report.check("admin-ring", { try NVMePassthrough(device: controller, depth: 64) }) {
    print("info ring mode: \(admin.ringMode.rawValue)")
    environment = report.check("detect-environment") { try Environment.detect(admin) }
    if let environment {
        print("info environment: \(environment.summary)")
        geometry = AdminChecks(admin: admin, options: options, environment: environment).run(&report)
    }
}
if let namespace, let io = report.check("io-ring", { try NVMePassthrough(device: namespace, depth: 64) }) {
    if let geometry { IOChecks(io: io, geometry: geometry).run(&report) }
}
if let controller, let environment { EngineChecks(controller: controller, environment: environment).run(&report) }
BadInputChecks(options: options, controller: controller).run(&report)

report.finish()
