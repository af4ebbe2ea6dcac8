import CDQKernel
import CDQNVMe

/// Wrong paths and wrong buffers get typed errors before reaching a device.
struct BadInputChecks {
    let options: SelftestOptions
    let controller: NVMeCharacterDevice?

    func run(_ report: inout Report) {
        report.check("reject-dev-null") {
            do { _ = try NVMeCharacterDevice(path: "/dev/null"); throw Failure("/dev/null accepted") }
            catch DeviceError.notNVMe {}
        }
        report.check("reject-missing-path") {
            do { _ = try NVMeCharacterDevice(path: "/dev/nvme-missing"); throw Failure("missing path accepted") }
            catch DeviceError.open(_, let error) { try require(error.errnoName == "ENOENT", "\(error)") }
        }
        guard let controller else { return }
        report.check("reject-short-identify-buffer") {
            let admin = try NVMePassthrough(device: controller, depth: 4)
            let short = Buffer(100)
            do { _ = try admin.execute(.identify(.controller), data: short.bytes); throw Failure("100-byte buffer accepted") }
            catch PassthroughError.dataBuffer {}
            try require(admin.inFlight == 0, "a rejected command must not occupy a slot")
        }
    }
}
