import CDQKernel
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DeviceTests {
    @Test func devNullIsNotMistakenForAController() {
        // io_uring completes a URING_CMD on /dev/null with success, so this
        // check is what stands between a typo and a silently "working" device.
        #expect {
            _ = try NVMeCharacterDevice(path: "/dev/null")
        } throws: { error in
            guard case DeviceError.notNVMe(let path, let subsystem) = error else { return false }
            return path == "/dev/null" && subsystem == "mem"
                && "\(error)" == "/dev/null is not an NVMe character device (sysfs class: mem)"
        }
    }

    @Test func aMissingPathReportsENOENT() {
        #expect {
            _ = try NVMeCharacterDevice(path: "/dev/nvme-does-not-exist")
        } throws: { error in
            guard case DeviceError.open(_, let system) = error else { return false }
            return system.errnoName == "ENOENT" && "\(error)".hasPrefix("open /dev/nvme-does-not-exist: ENOENT")
        }
    }

    @Test func aRegularFileIsNotACharacterDevice() throws {
        var template = Array("/tmp/cdq-device-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        close(fd)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        #expect {
            _ = try NVMeCharacterDevice(path: path)
        } throws: { error in
            if case DeviceError.notACharacterDevice(path) = error { return true }
            return false
        }
    }
}
