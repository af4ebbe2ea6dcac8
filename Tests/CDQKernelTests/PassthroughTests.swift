import CDQKernel
import CDQNVMe
import CDQUring
import Testing

/// The passthrough machinery against a file that refuses URING_CMD (an
/// eventfd): everything but the controller itself is exercised here; the
/// controller is exercised by `make test-kernel`.
@Suite struct PassthroughTests {
    func refusingDevice() throws -> (NVMeCharacterDevice, EventFD) {
        let event = try EventFD()
        return (NVMeCharacterDevice(unverifiedFileDescriptor: event.fileDescriptor, kind: .controller), event)
    }

    @Test func aFileWithoutNVMePassthroughGivesATypedError() throws {
        let (device, event) = try refusingDevice()
        _ = event
        let passthrough = try NVMePassthrough(device: device, depth: 4)
        #expect {
            _ = try passthrough.execute(.controllerDataQueueDelete(cdqid: 1))
        } throws: { error in
            guard case PassthroughError.system(let system) = error else { return false }
            return system.errnoName == "EOPNOTSUPP" && "\(error)".contains("does not accept NVMe uring_cmd passthrough")
        }
        #expect(passthrough.inFlight == 0, "a failed command frees its slot")
    }

    @Test func depthBoundsTheCommandsInFlight() throws {
        let (device, event) = try refusingDevice()
        _ = event
        let passthrough = try NVMePassthrough(device: device, depth: 8)
        var tickets = Set<CommandTicket>()
        for cdqid in 0..<8 { tickets.insert(try passthrough.submit(.controllerDataQueueDelete(cdqid: UInt16(cdqid)))) }
        #expect(tickets.count == 8, "every ticket is distinct")
        #expect(throws: PassthroughError.queueFull(depth: 8)) {
            _ = try passthrough.submit(.controllerDataQueueDelete(cdqid: 9))
        }
        #expect(throws: PassthroughError.busy(inFlight: 8)) {
            _ = try passthrough.execute(.controllerDataQueueDelete(cdqid: 9))
        }
        var seen = Set<CommandTicket>()
        while seen.count < 8 {
            try passthrough.reap(waitingFor: 1) { ticket, outcome in
                #expect(seen.insert(ticket).inserted, "each command completes exactly once")
                #expect(outcome == .systemError(SystemError("NVMe passthrough", errno: 95)))
            }
        }
        #expect(seen == tickets)
        #expect(passthrough.inFlight == 0 && passthrough.staleCompletions == 0)
        // Slots are reusable, and a reused slot's ticket differs from its previous one.
        let again = try passthrough.submit(.controllerDataQueueDelete(cdqid: 1))
        #expect(!tickets.contains(again))
    }

    @Test func theRFCIoctlOnAFileWithoutItSaysSo() throws {
        let (device, event) = try refusingDevice()
        _ = event
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { memory.deallocate() }
        #expect(throws: CDQIoctlError.kernelLacksIoctl) {
            _ = try CDQIoctl.create(controller: device, memory: memory, cntlid: 0)
        }
        #expect(CDQIoctlError.kernelLacksIoctl.description == "this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)")
        let namespace = NVMeCharacterDevice(unverifiedFileDescriptor: event.fileDescriptor, kind: .genericNamespace, path: "/dev/ng0n1")
        #expect(throws: CDQIoctlError.notAController("/dev/ng0n1")) {
            _ = try CDQIoctl.create(controller: namespace, memory: memory, cntlid: 0)
        }
    }
}
