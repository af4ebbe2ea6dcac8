@testable import CDQEngine
@testable import CDQKernel
import CDQNVMe
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The probes the selftest adapts by, with the controller and the ioctl
/// replaced: the stock guest shows one branch of each (`make test-kernel`),
/// these tests all of them.
@Suite struct CDQSupportProbeTests {
    @Test func trackSendStopForAnUnusedIdTellsWhetherTheControllerHasCDQs() throws {
        func probe(_ answer: PassthroughError?) throws -> Bool {
            try CDQSupportProbe.controllerHasCDQs { () throws(PassthroughError) in if let answer { throw answer } }
        }
        #expect(try probe(.nvme(NVMeStatus(rawValue: 0x4001))) == false, "Invalid Command Opcode: no CDQs (stock QEMU)")
        #expect(try probe(.nvme(NVMeStatus(rawValue: 0x4137))) == true, "Invalid Controller Data Queue: CDQs, no such queue")
        #expect(try probe(.nvme(.invalidFieldInCommand)) == true)
        #expect(try probe(nil) == true)
        #expect(throws: PassthroughError.self, "not an answer of the controller") {
            _ = try probe(.system(SystemError("uring_cmd", errno: EIO)))
        }
    }

    func backend(_ fake: KernelQueueBackendTests.FakeIoctl) throws -> (KernelQueueBackend, Int32) {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        let device = NVMeCharacterDevice(unverifiedFileDescriptor: fd, kind: .controller, path: "/dev/nvme0")
        return (try KernelQueueBackend(controller: device, call: fake.call), fd)
    }

    @Test func theIoctlProbeDeletesTheQueueItCreatesBeforeItsMemoryGoes() throws {
        let fake = KernelQueueBackendTests.FakeIoctl()
        let (probed, fd) = try backend(fake)
        defer { close(fd) }
        #expect(try CDQSupportProbe.kernelHasCDQIoctl(probed, cntlid: 0) == true)
        #expect(fake.deletes == [1], "the probe's queue was deleted")
        #expect(probed.createdQueues.isEmpty)

        fake.answer.withLock { $0 = (-1, ENOTTY) }
        #expect(try CDQSupportProbe.kernelHasCDQIoctl(probed, cntlid: 0) == false, "a stock kernel")
        fake.answer.withLock { $0 = (0x4001, 0) }
        #expect(try CDQSupportProbe.kernelHasCDQIoctl(probed, cntlid: 0) == true, "the RFC, a controller without CDQs")
        fake.answer.withLock { $0 = (-1, EACCES) }
        #expect(throws: QueueLifecycleError.self) { _ = try CDQSupportProbe.kernelHasCDQIoctl(probed, cntlid: 0) }
        #expect(fake.deletes == [1], "no other id was ever deleted")
    }
}
