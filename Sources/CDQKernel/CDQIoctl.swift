import CCDQ
import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// `NVME_IOCTL_CDQ` of the Linux CDQ RFC (cdq-protocol.md §5): the kernel
/// pins the queue memory, builds the PRP list, sends Create CDQ and forwards
/// tail pointer events to an eventfd.
///
/// Only creation is public here. Deletion of an id the kernel did not
/// create crashes the RFC kernel (§6), so deletion belongs to the owner that
/// records the ids it created (`KernelQueueBackend`), never to a free function.
public enum CDQIoctl {
    /// The system call, replaceable in tests (there is no RFC kernel to call).
    typealias Call = @Sendable (_ fd: Int32, _ argument: inout nvme_cdq_cmd) -> Int32
    static let system: Call = { fd, argument in cdq_ioctl_cdq(fd, &argument) }

    /// Creates a CDQ over `memory` for migratable controller `cntlid`; returns the CDQID.
    public static func create(
        controller: NVMeCharacterDevice, memory: UnsafeMutableRawBufferPointer,
        cntlid: UInt16, managementOperationSpecific mos: UInt16 = 0, eventFD: Int32 = -1
    ) throws(CDQIoctlError) -> UInt16 {
        try create(controller: controller, memory: memory, cntlid: cntlid, mos: mos, eventFD: eventFD, call: system)
    }

    static func create(
        controller: NVMeCharacterDevice, memory: UnsafeMutableRawBufferPointer,
        cntlid: UInt16, mos: UInt16, eventFD: Int32, call: Call
    ) throws(CDQIoctlError) -> UInt16 {
        guard controller.kind == .controller else { throw .notAController(controller.path) }
        var argument = createArgument(memory: memory, cntlid: cntlid, mos: mos, eventFD: eventFD)
        try check(call(controller.fileDescriptor, &argument), controller.path)
        return argument.id
    }

    /// Deletes `cdqid` (`size_nbyte` 0). Callers must have created it.
    static func delete(controller: NVMeCharacterDevice, cdqid: UInt16, call: Call) throws(CDQIoctlError) {
        var argument = deleteArgument(cdqid: cdqid)
        try check(call(controller.fileDescriptor, &argument), controller.path)
    }

    /// The argument of a create: the memory's size and address, the eventfd
    /// (-1 for none), the migratable controller, the queue type.
    static func createArgument(memory: UnsafeMutableRawBufferPointer, cntlid: UInt16, mos: UInt16, eventFD: Int32) -> nvme_cdq_cmd {
        var argument = nvme_cdq_cmd()
        argument.size_nbyte = UInt32(memory.count)
        argument.entries = UInt64(UInt(bitPattern: memory.baseAddress))
        argument.tpt_fd = eventFD
        argument.cqs = cntlid
        argument.mos = mos
        return argument
    }

    static func deleteArgument(cdqid: UInt16) -> nvme_cdq_cmd {
        var argument = nvme_cdq_cmd()
        argument.size_nbyte = 0
        argument.tpt_fd = -1
        argument.id = cdqid
        return argument
    }

    /// The ioctl returns 0, a positive NVMe status (the controller refused),
    /// or -1 with errno (the kernel refused, ENOTTY: no such ioctl).
    private static func check(_ result: Int32, _ path: String) throws(CDQIoctlError) {
        if result == 0 { return }
        if result > 0 { throw .nvme(NVMeStatus(rawValue: UInt16(truncatingIfNeeded: result))) }
        let error = currentErrno()
        throw error == ENOTTY ? .kernelLacksIoctl : .system(SystemError("NVME_IOCTL_CDQ \(path)", errno: error))
    }
}

/// Why `NVME_IOCTL_CDQ` failed.
public enum CDQIoctlError: Error, Sendable, Equatable, CustomStringConvertible {
    case kernelLacksIoctl
    case notAController(String)
    /// The controller rejected the command the kernel sent.
    case nvme(NVMeStatus)
    case system(SystemError)

    public var description: String {
        switch self {
        case .kernelLacksIoctl: "this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)"
        case .notAController(let path): "\(path) is not an NVMe controller device (/dev/nvmeN)"
        case .nvme(let status) where status.matches(.invalidCommandOpcode):
            "controller does not support Controller Data Queues (\(status))"
        case .nvme(let status): status.description
        case .system(let error): error.description
        }
    }
}

extension CDQIoctlError: CarriesNVMeStatus {
    public var nvmeStatus: NVMeStatus? {
        if case .nvme(let status) = self { return status }
        return nil
    }
}
