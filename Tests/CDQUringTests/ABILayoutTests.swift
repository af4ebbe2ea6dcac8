import CCDQ
import Testing

/// The kernel ABI as Swift sees it must match what the C compiler lays out,
/// and both must match the RFC's definition (cdq-protocol.md §5).
@Suite struct ABILayoutTests {
    /// _IOC(dir, type, nr, size) as include/uapi/asm-generic/ioctl.h defines it.
    func ioc(_ dir: UInt32, _ type: Character, _ nr: UInt32, _ size: Int) -> UInt {
        UInt(dir << cdq_ioc_dirshift()
            | UInt32(size) << cdq_ioc_sizeshift()
            | UInt32(type.asciiValue!) << cdq_ioc_typeshift()
            | nr << cdq_ioc_nrshift())
    }

    @Test func cdqCommandLayoutMatchesC() {
        #expect(MemoryLayout<nvme_cdq_cmd>.size == cdq_cmd_size())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.size_nbyte) == cdq_cmd_offset_size_nbyte())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.entries) == cdq_cmd_offset_entries())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.tpt_fd) == cdq_cmd_offset_tpt_fd())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.id) == cdq_cmd_offset_id())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.cqs) == cdq_cmd_offset_cqs())
        #expect(MemoryLayout<nvme_cdq_cmd>.offset(of: \.mos) == cdq_cmd_offset_mos())
    }

    @Test func cdqCommandLayoutMatchesTheRFC() {
        // Natural alignment: u32, pad, u64, int, u16, u16, u16, pad to 32.
        #expect(cdq_cmd_size() == 32)
        #expect(cdq_cmd_offset_size_nbyte() == 0)
        #expect(cdq_cmd_offset_entries() == 8)
        #expect(cdq_cmd_offset_tpt_fd() == 16)
        #expect(cdq_cmd_offset_id() == 20)
        #expect(cdq_cmd_offset_cqs() == 22)
        #expect(cdq_cmd_offset_mos() == 24)
    }

    @Test func ioctlNumbersMatchTheirEncoding() {
        #expect(cdq_ioctl_number_cdq() == ioc(cdq_ioc_read(), "N", 0x50, 32))
        #expect(cdq_ioctl_number_cdq() == 0x8020_4E50)
        let readWrite = cdq_ioc_read() | cdq_ioc_write()
        #expect(UInt(cdq_uring_cmd_admin()) == ioc(readWrite, "N", 0x82, cdq_uring_cmd_size()))
        #expect(UInt(cdq_uring_cmd_io()) == ioc(readWrite, "N", 0x80, cdq_uring_cmd_size()))
        #expect(cdq_uring_cmd_admin() == 0xC048_4E82)
        #expect(cdq_uring_cmd_io() == 0xC048_4E80)
    }

    @Test func uringCommandFitsTheSQECommandArea() {
        #expect(cdq_uring_cmd_size() == 72)
        #expect(MemoryLayout<nvme_uring_cmd>.size == 72)
        #expect(MemoryLayout<nvme_uring_cmd>.offset(of: \.addr) == cdq_uring_cmd_offset_addr())
        #expect(MemoryLayout<nvme_uring_cmd>.offset(of: \.cdw10) == cdq_uring_cmd_offset_cdw10())
        #expect(MemoryLayout<nvme_uring_cmd>.offset(of: \.timeout_ms) == cdq_uring_cmd_offset_timeout())
        // SubmissionEntry writes the command at byte 48 and the big CQE words at 16.
        #expect(cdq_sqe_offset_cmd() == 48)
        #expect(cdq_cqe_offset_big_cqe() == 16)
        #expect(MemoryLayout<io_uring_sqe>.size == 64)
        #expect(MemoryLayout<io_uring_cqe>.size == 16)
    }
}
