/// Builders for the NVM command set I/O commands the copy engines use.
///
/// The data buffer is not part of the image under io_uring passthrough (the
/// kernel fills the PRPs from `nvme_uring_cmd.addr`); set `prp1`/`prp2` on
/// the result when driving a queue directly. None allocates.
extension NVMeCommand {
    /// Read `blockCount` logical blocks starting at `startingLBA`.
    ///
    /// CDW10/CDW11 = SLBA low/high, CDW12[15:0] = NLB, 0's based.
    ///
    /// - Precondition: `blockCount` in `1...65536` (the 16-bit 0's based
    ///   field); a programmer error otherwise.
    @inlinable
    public static func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeCommand {
        rangeCommand(.read, nsid: nsid, startingLBA: startingLBA, blockCount: blockCount, cdw12Flags: 0)
    }

    /// Write `blockCount` logical blocks starting at `startingLBA`.
    /// Same fields and precondition as `read`.
    @inlinable
    public static func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeCommand {
        rangeCommand(.write, nsid: nsid, startingLBA: startingLBA, blockCount: blockCount, cdw12Flags: 0)
    }

    /// Write Zeroes over `blockCount` blocks; with `deallocate` the
    /// controller may deallocate them instead (CDW12 bit 25, DEAC).
    /// Same fields and precondition as `read`.
    @inlinable
    public static func writeZeroes(
        nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, deallocate: Bool = false
    ) -> NVMeCommand {
        rangeCommand(.writeZeroes, nsid: nsid, startingLBA: startingLBA, blockCount: blockCount,
                     cdw12Flags: deallocate ? 1 << 25 : 0)
    }

    /// Flush the volatile write cache of namespace `nsid`.
    public static func flush(nsid: UInt32) -> NVMeCommand {
        NVMeCommand(opcode: IOOpcode.flush.rawValue, nsid: nsid)
    }

    /// Dataset Management with the Deallocate attribute (trim) over
    /// `numberOfRanges` `DSMRange` records in the data buffer (host to
    /// controller, 16 bytes each).
    ///
    /// CDW10[7:0] = NR, 0's based; CDW11 bit 2 = AD (attribute deallocate).
    ///
    /// - Precondition: `numberOfRanges` in `1...256` (8-bit 0's based field).
    public static func datasetManagementDeallocate(nsid: UInt32, numberOfRanges: UInt16) -> NVMeCommand {
        precondition((1...256).contains(numberOfRanges), "Dataset Management takes 1...256 ranges")
        return NVMeCommand(
            opcode: IOOpcode.datasetManagement.rawValue,
            nsid: nsid,
            cdw10: UInt32(numberOfRanges - 1),
            cdw11: 1 << 2
        )
    }

    @inlinable
    static func rangeCommand(
        _ opcode: IOOpcode, nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, cdw12Flags: UInt32
    ) -> NVMeCommand {
        precondition((1...65536).contains(blockCount), "NLB is a 16-bit 0's based field: 1...65536 blocks")
        return NVMeCommand(
            opcode: opcode.rawValue,
            nsid: nsid,
            cdw10: UInt32(truncatingIfNeeded: startingLBA),
            cdw11: UInt32(truncatingIfNeeded: startingLBA >> 32),
            cdw12: (blockCount - 1) | cdw12Flags
        )
    }
}
