import CDQKernel
import CDQNVMe

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

    /// A CDQID no queue has (`CDQSupportProbe.unusedCDQID`).
    static let unusedCDQID = CDQSupportProbe.unusedCDQID

    static func detect(_ admin: NVMePassthrough) throws -> Environment {
        let buffer = Buffer(4096)
        _ = try admin.execute(.identify(.controller), data: buffer.bytes)
        guard let identify = IdentifyController(buffer: buffer.raw) else { throw Failure("short identify data") }
        let cdqs = try CDQSupportProbe.controllerHasCDQs { () throws(PassthroughError) in
            _ = try admin.execute(.trackSend(cdqid: unusedCDQID, logging: .stop))
        }
        let ioctl = try CDQSupportProbe.kernelHasCDQIoctl(try KernelQueueBackend(path: admin.device.path), cntlid: identify.controllerID)
        return Environment(serial: identify.serialNumber, cntlid: identify.controllerID, hasCDQIoctl: ioctl, controllerHasCDQs: cdqs)
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
