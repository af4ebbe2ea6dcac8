import CCDQ
import CDQNVMe

/// Writes an NVMe command as Linux's 72-byte `struct nvme_uring_cmd` into
/// an SQE's command area.
///
/// The kernel builds the real submission entry itself: it assigns the
/// command identifier and maps `data` to PRPs, so the image's CID, PRP and
/// MPTR fields are not passed on. The data direction follows the opcode's
/// bits 1:0, as in the spec.
enum UringCommandImage {
    static let size = 72

    static func write(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, timeoutMilliseconds: UInt32,
        to area: UnsafeMutableRawBufferPointer
    ) {
        precondition(area.count >= size, "command area too small for nvme_uring_cmd")
        var cmd = nvme_uring_cmd()
        cmd.opcode = command.opcode
        cmd.flags = command.flags
        cmd.nsid = command.nsid
        cmd.cdw2 = command.cdw2
        cmd.cdw3 = command.cdw3
        cmd.addr = UInt64(UInt(bitPattern: data?.baseAddress))
        cmd.data_len = UInt32(data?.count ?? 0)
        cmd.cdw10 = command.cdw10
        cmd.cdw11 = command.cdw11
        cmd.cdw12 = command.cdw12
        cmd.cdw13 = command.cdw13
        cmd.cdw14 = command.cdw14
        cmd.cdw15 = command.cdw15
        cmd.timeout_ms = timeoutMilliseconds
        area.storeBytes(of: cmd, as: nvme_uring_cmd.self)
    }
}
