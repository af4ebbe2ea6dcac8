import CDQEngine
import CDQKernel
import CDQNVMe
import CDQUring

/// Where the selftest runs, detected rather than assumed: the controller's
/// identity, whether the kernel has `NVME_IOCTL_CDQ` (the CDQ RFC), and
/// whether the controller implements Controller Data Queues. The checks
/// that follow pick their expectations from it, so the same binary is
/// green on the stock guest and on a kernel and controller with CDQs.
struct Environment {
    var serial: String
    var cntlid: UInt16
    var hasCDQIoctl: Bool
    var controllerHasCDQs: Bool

    /// A CDQID no queue has: probes and the engine checks use it, so they
    /// can never move the head of, or stop, somebody's real queue.
    static let unusedCDQID: UInt16 = 0xFFFF

    static func detect(_ admin: NVMePassthrough) throws -> Environment {
        let buffer = Buffer(4096)
        _ = try admin.execute(.identify(.controller), data: buffer.bytes)
        guard let identify = IdentifyController(buffer: buffer.raw) else { throw Failure("short identify data") }
        let cdqs = try controllerHasCDQs(admin)
        return Environment(serial: identify.serialNumber, cntlid: identify.controllerID,
                           hasCDQIoctl: try kernelHasCDQIoctl(admin.device, cntlid: identify.controllerID),
                           controllerHasCDQs: cdqs)
    }

    /// A harmless probe: Track Send stop for a CDQID that does not exist
    /// changes nothing; only a controller without CDQs answers Invalid
    /// Command Opcode.
    static func controllerHasCDQs(_ admin: NVMePassthrough) throws -> Bool {
        do { _ = try admin.execute(.trackSend(cdqid: unusedCDQID, logging: .stop)) } catch {
            guard case .nvme(let status) = error else { throw error }
            return !status.matches(.invalidCommandOpcode)
        }
        return true
    }

    /// ENOTTY before anything reaches the controller means no RFC. With the
    /// RFC the probe may create a real queue: it is deleted through the
    /// same backend before its memory is given back.
    static func kernelHasCDQIoctl(_ device: NVMeCharacterDevice, cntlid: UInt16) throws -> Bool {
        let backend = try KernelQueueBackend(path: device.path)
        let memory = try QueueMemory.allocate(backend.memoryPolicy(entries: 128))
        let event = try EventFD()
        do {
            let cdqid = try backend.createQueue(memory: memory, cntlid: cntlid, eventFD: event)
            do { try backend.deleteQueue(cdqid) } catch {
                KeptAlive.forever(memory)
                throw Failure("the probe's CDQID \(cdqid) could not be deleted (\(error)); its memory is kept")
            }
            return true
        } catch QueueLifecycleError.create(_, let errno) where errno == 25 /* ENOTTY */ {
            return false
        } catch QueueLifecycleError.refused {
            return true
        }
    }

    var summary: String {
        "controller sn '\(serial)' cntlid \(cntlid); NVME_IOCTL_CDQ \(hasCDQIoctl ? "present" : "absent"); "
            + "controller CDQs \(controllerHasCDQs ? "supported" : "not supported")"
    }
}

/// Memory a controller may still write into (its queue could not be
/// deleted) is never given back: better a leak than a DMA into freed memory.
enum KeptAlive {
    nonisolated(unsafe) private static var kept: [AnyObject] = []
    static func forever(_ object: AnyObject) { kept.append(object) }
}
