import CCDQ
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// `NVME_IOCTL_CDQ` of the Linux CDQ RFC (cdq-protocol.md §5): the kernel
/// pins the queue memory, builds the PRP list, sends Create CDQ and forwards
/// tail pointer events to an eventfd.
///
/// Only creation lives here. Deletion of an id the kernel did not create
/// crashes the RFC kernel (§6), so deletion belongs to the owner that records
/// the ids it created (the kernel backend), never to a free function.
public enum CDQIoctl {
    /// Creates a CDQ over `memory` for migratable controller `cntlid`; returns the CDQID.
    public static func create(
        controller: NVMeCharacterDevice, memory: UnsafeMutableRawBufferPointer,
        cntlid: UInt16, managementOperationSpecific mos: UInt16 = 0, eventFD: Int32 = -1
    ) throws(CDQIoctlError) -> UInt16 {
        guard controller.kind == .controller else { throw .notAController(controller.path) }
        var cmd = nvme_cdq_cmd()
        cmd.size_nbyte = UInt32(memory.count)
        cmd.entries = UInt64(UInt(bitPattern: memory.baseAddress))
        cmd.tpt_fd = eventFD
        cmd.cqs = cntlid
        cmd.mos = mos
        if cdq_ioctl_cdq(controller.fileDescriptor, &cmd) != 0 {
            let error = currentErrno()
            throw error == ENOTTY ? .kernelLacksIoctl : .system(SystemError("NVME_IOCTL_CDQ \(controller.path)", errno: error))
        }
        return cmd.id
    }
}


/// Why `NVME_IOCTL_CDQ` failed.
public enum CDQIoctlError: Error, Sendable, Equatable, CustomStringConvertible {
    case kernelLacksIoctl
    case notAController(String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .kernelLacksIoctl: "this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)"
        case .notAController(let path): "\(path) is not an NVMe controller device (/dev/nvmeN)"
        case .system(let error): error.description
        }
    }
}
