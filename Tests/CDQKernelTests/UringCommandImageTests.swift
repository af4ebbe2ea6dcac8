@testable import CDQKernel
import CDQNVMe
import Testing

@Suite struct UringCommandImageTests {
    /// Field offsets of `struct nvme_uring_cmd` in include/uapi/linux/nvme_ioctl.h.
    @Test func commandLandsAtTheKernelsFieldOffsets() {
        var command = NVMeCommand.setControllerDataQueue(cdqid: 0x1234, head: 77, tailPointerTrigger: 99)
        command.nsid = 0xA1B2_C3D4
        command.cdw2 = 0x0202_0202
        command.cdw3 = 0x0303_0303
        command.cdw14 = 0x1414_1414
        command.cdw15 = 0x1515_1515
        let area = UnsafeMutableRawBufferPointer.allocate(byteCount: 80, alignment: 8)
        defer { area.deallocate() }
        area.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { data.deallocate() }
        UringCommandImage.write(command, data: data, timeoutMilliseconds: 5000, to: area)

        func u32(_ offset: Int) -> UInt32 { area.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        func u64(_ offset: Int) -> UInt64 { area.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        #expect(area[0] == 0x09, "opcode: Set Features")
        #expect(area[1] == 0, "flags")
        #expect(u32(4) == 0xA1B2_C3D4, "nsid")
        #expect(u32(8) == 0x0202_0202 && u32(12) == 0x0303_0303, "cdw2, cdw3")
        #expect(u64(16) == 0, "metadata")
        #expect(u64(24) == UInt64(UInt(bitPattern: data.baseAddress)), "addr")
        #expect(u32(32) == 0 && u32(36) == 8, "metadata_len, data_len")
        #expect(u32(40) == 0x21, "cdw10: FID 0x21")
        #expect(u32(44) == 0x8000_1234, "cdw11: ETPT | CDQID")
        #expect(u32(48) == 77 && u32(52) == 99, "cdw12 head, cdw13 TPT")
        #expect(u32(56) == 0x1414_1414 && u32(60) == 0x1515_1515, "cdw14, cdw15")
        #expect(u32(64) == 5000, "timeout_ms")
        #expect(u32(68) == 0, "rsvd2")
        #expect(area[72..<80].allSatisfy { $0 == 0xEE }, "nothing written past the 72-byte struct")
    }
}
