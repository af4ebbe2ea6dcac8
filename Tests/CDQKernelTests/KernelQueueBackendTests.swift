import CCDQ
@testable import CDQEngine
@testable import CDQKernel
import CDQNVMe
import CDQTestSupport
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kernel backend without an RFC kernel: the ioctl is replaced by a
/// recorder that answers like the RFC kernel would, so the argument images,
/// the bookkeeping of created ids and every cleanup path are checked here;
/// `make test-kernel` checks the real ioctl's refusal on a stock kernel.
@Suite struct KernelQueueBackendTests {
    /// Answers NVME_IOCTL_CDQ: creates get ids 1, 2, ...; records every call.
    final class FakeIoctl: Sendable {
        let calls = Locked<[nvme_cdq_cmd]>([])
        let answer: Locked<(result: Int32, errno: Int32)> = Locked((0, 0))
        var call: CDQIoctl.Call {
            { [self] _, argument in
                let (result, error) = answer.withLock { $0 }
                calls.withLock { calls in
                    if result == 0 && argument.size_nbyte != 0 { argument.id = UInt16(calls.count + 1) }
                    calls.append(argument)
                }
                if result < 0 { errno = error }
                return result
            }
        }
        var deletes: [UInt16] { calls.withLock { $0.filter { $0.size_nbyte == 0 }.map(\.id) } }
    }

    /// A backend over `/dev/null` standing in for `/dev/nvme0`.
    func backend(_ fake: FakeIoctl) throws -> (KernelQueueBackend, Int32) {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        let device = NVMeCharacterDevice(unverifiedFileDescriptor: fd, kind: .controller, path: "/dev/nvme0")
        return (try KernelQueueBackend(controller: device, call: fake.call), fd)
    }

    @Test func theCreateArgumentIsTheRFCsImageByteForByte() throws {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { memory.deallocate() }
        var argument = CDQIoctl.createArgument(memory: memory, cntlid: 0x0102, mos: 0x0304, eventFD: 0x0A0B0C0D)
        let bytes = withUnsafeBytes(of: &argument) { Array($0) }
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<4]) == [0x00, 0x10, 0x00, 0x00], "size_nbyte = 4096 at offset 0")
        let address = UInt64(UInt(bitPattern: memory.baseAddress))
        #expect(Array(bytes[8..<16]) == (0..<8).map { UInt8(truncatingIfNeeded: address >> ($0 * 8)) }, "entries at offset 8")
        #expect(Array(bytes[16..<20]) == [0x0D, 0x0C, 0x0B, 0x0A], "tpt_fd at offset 16")
        #expect(Array(bytes[20..<22]) == [0, 0], "id is an output of create")
        #expect(Array(bytes[22..<24]) == [0x02, 0x01], "cqs at offset 22")
        #expect(Array(bytes[24..<26]) == [0x04, 0x03], "mos at offset 24")
        var delete = CDQIoctl.deleteArgument(cdqid: 0x0506)
        let deleteBytes = withUnsafeBytes(of: &delete) { Array($0) }
        #expect(Array(deleteBytes[0..<4]) == [0, 0, 0, 0], "size_nbyte 0 means delete")
        #expect(Array(deleteBytes[20..<22]) == [0x06, 0x05], "the id to delete at offset 20")
    }

    @Test func itDeletesOnlyWhatItCreatedAndNeverCallsTheKernelForOtherIds() throws {
        let fake = FakeIoctl()
        let (backend, fd) = try backend(fake)
        defer { close(fd) }
        #expect(throws: QueueLifecycleError.unknownQueue(1)) { try backend.deleteQueue(1) }
        #expect(fake.calls.withLock { $0.isEmpty }, "an unknown id never reaches the kernel (it would oops)")
        let memory = try QueueMemory.allocate(.contiguous(entries: 128))
        let event = try EventFD()
        let cdqid = try backend.createQueue(memory: memory, cntlid: 3, eventFD: event)
        #expect(backend.createdQueues == [cdqid])
        #expect(fake.calls.withLock { $0.first?.tpt_fd } == event.fileDescriptor)
        try backend.deleteQueue(cdqid)
        #expect(fake.deletes == [cdqid])
        #expect(throws: QueueLifecycleError.unknownQueue(cdqid)) { try backend.deleteQueue(cdqid) }
        #expect(fake.deletes == [cdqid], "a second delete of the same id is refused too")
    }

    @Test func aFailedDeleteKeepsTheIdSoTheQueueCanStillBeDeleted() throws {
        let fake = FakeIoctl()
        let (backend, fd) = try backend(fake)
        defer { close(fd) }
        let memory = try QueueMemory.allocate(.contiguous(entries: 128))
        let cdqid = try backend.createQueue(memory: memory, cntlid: 1, eventFD: try EventFD())
        fake.answer.withLock { $0 = (-1, EBUSY) }
        #expect(throws: QueueLifecycleError.self) { try backend.deleteQueue(cdqid) }
        #expect(backend.createdQueues == [cdqid], "the queue may still exist: its id stays deletable")
        fake.answer.withLock { $0 = (0, 0) }
        try backend.deleteQueue(cdqid)
        #expect(backend.createdQueues.isEmpty)
        #expect(fake.deletes == [cdqid, cdqid])
    }

    @Test func refusalsSayWhatIsMissing() throws {
        let fake = FakeIoctl()
        let (backend, fd) = try backend(fake)
        defer { close(fd) }
        let memory = try QueueMemory.allocate(.contiguous(entries: 128))
        let event = try EventFD()
        func refusal(_ result: Int32, errno error: Int32 = 0) -> (text: String, errno: Int32) {
            fake.answer.withLock { $0 = (result, error) }
            do { _ = try backend.createQueue(memory: memory, cntlid: 5, eventFD: event); return ("created", 0) }
            catch {
                guard case .create(let text, let code) = error else { return ("\(error)", -1) }
                return (text, code)
            }
        }
        /// A refusal by the controller keeps its status typed.
        func status(_ result: Int32) -> (text: String, status: NVMeStatus?) {
            fake.answer.withLock { $0 = (result, 0) }
            do { _ = try backend.createQueue(memory: memory, cntlid: 5, eventFD: event); return ("created", nil) }
            catch {
                guard case .refused(let text, let status) = error else { return ("\(error)", nil) }
                return (text, status)
            }
        }
        #expect(refusal(-1, errno: ENOTTY) == ("/dev/nvme0: this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)", ENOTTY))
        let unsupported = status(0x4001)
        #expect(unsupported.text.hasPrefix("/dev/nvme0: controller does not support Controller Data Queues"))
        #expect(unsupported.status == NVMeStatus(rawValue: 0x4001))
        let invalid = status(0x0002)
        #expect(invalid.text.hasPrefix("/dev/nvme0: Create CDQ for CNTLID 5 failed: Invalid Field in Command"))
        #expect(invalid.status == .invalidFieldInCommand)
        let denied = refusal(-1, errno: EACCES)
        #expect(denied.text.hasPrefix("/dev/nvme0: NVME_IOCTL_CDQ /dev/nvme0: EACCES"))
        #expect(denied.errno == EACCES)
        #expect(backend.createdQueues.isEmpty, "no refused create is recorded")
    }

    @Test func aMissingDeviceGivesThePathAndTheErrno() {
        #expect {
            _ = try KernelQueueBackend(path: "/dev/nvme-does-not-exist")
        } throws: { error in
            guard case QueueLifecycleError.create(let text, let code) = error else { return false }
            return text.contains("/dev/nvme-does-not-exist") && text.contains("ENOENT") && code == ENOENT
        }
    }

    @Test(.enabled(if: exclusiveTests, "counts the process's descriptors, so it runs alone: make test does that"),
          arguments: [AttachedQueue.Step.memory, .eventFD, .create, .register, .trackSend])
    func aFailedKernelAttachReleasesEveryDescriptor(after step: AttachedQueue.Step) throws {
        let fake = FakeIoctl()
        let (backend, fd) = try backend(fake)
        defer { close(fd) }
        let engine = try Engine()
        defer { engine.shutdown() }
        let consumer = try Consumer()
        // Track Send goes to /dev/null as a uring_cmd; skip it to reach the
        // later steps, except when it is the step under test.
        let logging = step == .trackSend
        let baseline = openDescriptors()
        _ = try? AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: 1, entries: 128,
                               startLogging: false, failingAfter: .register)
        let descriptors = openDescriptors(settlingAt: baseline), mappings = mappedRegions()
        #expect(throws: (any Error).self) {
            _ = try AttachedQueue(engine: engine, backend: backend, consumer: consumer, cntlid: 1, entries: 128,
                                  startLogging: logging, failingAfter: step)
        }
        #expect(openDescriptors(settlingAt: descriptors) == descriptors, "no eventfd left open after \(step)")
        #expect(mappedRegions() == mappings, "no queue memory left mapped after \(step)")
        #expect(backend.createdQueues.isEmpty, "every created queue was deleted after \(step)")
        #expect(engine.statistics.queues == 0)
    }
}
