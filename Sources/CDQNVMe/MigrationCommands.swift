/// Builders for the live-migration admin commands of cdq-protocol.md §1:
/// Controller Data Queue create/delete, Track Send, Migration Send and
/// Receive, and Get/Set Features FID 0x21. The words (CDQ, CDQID, head,
/// tail pointer trigger, migratable controller) are explained on
/// `ControllerDataQueue`.
///
/// All go to the admin queue of the managing controller. None allocates;
/// `setControllerDataQueue` is on the engine's hot path.
extension NVMeCommand {
    /// Controller Data Queue, SEL 0 (create): asks the managing controller
    /// to start using host memory at `prp1` as a CDQ for the migratable
    /// controller `cntlid`. On success completion DW0[15:0] is the new CDQID.
    ///
    /// - CDW10[7:0] = SEL 0, CDW10[31:16] = MOS with MOS[7:0] = queue type.
    /// - CDW11 bit 0 = PC, CDW11[31:16] = CQS (the migratable controller).
    /// - CDW12 = CDQSIZE in dwords (queue bytes >> 2).
    /// - PRP1 = queue base when `physicallyContiguous`, else a PRP list
    ///   (see cdq-protocol.md §6 on why PC=0 is unreliable).
    public static func controllerDataQueueCreate(
        queueType: UInt8 = ControllerDataQueue.userDataMigrationQueue,
        physicallyContiguous: Bool,
        migratableController cntlid: UInt16,
        sizeInDwords: UInt32,
        prp1: UInt64
    ) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.controllerDataQueue.rawValue,
            prp1: prp1,
            cdw10: 0 | UInt32(queueType) << 16,
            cdw11: (physicallyContiguous ? 1 : 0) | UInt32(cntlid) << 16,
            cdw12: sizeInDwords
        )
    }

    /// Controller Data Queue, SEL 1 (delete): CDW11[15:0] = CDQID.
    public static func controllerDataQueueDelete(cdqid: UInt16) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.controllerDataQueue.rawValue,
            cdw10: 1,
            cdw11: UInt32(cdqid)
        )
    }

    /// Track Send, SEL 0 (log user data changes): starts or stops logging
    /// writes of the migratable controller into CDQ `cdqid`.
    ///
    /// CDW10[7:0] = SEL 0, CDW10[31:16] = MOS with MOS[3:0] = LACT,
    /// CDW11[15:0] = CDQID. Start posts a FIRST entry, stop a LAST one
    /// (cdq-protocol.md §3).
    public static func trackSend(cdqid: UInt16, logging: LoggingAction) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.trackSend.rawValue,
            cdw10: 0 | UInt32(logging.rawValue) << 16,
            cdw11: UInt32(cdqid)
        )
    }

    /// Migration Send, SEL 0 (suspend) of migratable controller `cntlid`.
    ///
    /// CDW11[15:0] = CNTLID, CDW11[23:16] = STYPE, CDW11 bit 31 = DUDMQ
    /// (also delete the controller's user data migration queue after its
    /// LAST entry is posted).
    public static func migrationSendSuspend(
        cntlid: UInt16, suspendType: SuspendType, deleteUserDataMigrationQueue: Bool
    ) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.migrationSend.rawValue,
            cdw10: 0,
            cdw11: UInt32(cntlid)
                | UInt32(suspendType.rawValue) << 16
                | (deleteUserDataMigrationQueue ? 1 << 31 : 0)
        )
    }

    /// Migration Send, SEL 1 (resume): CDW11[15:0] = CNTLID.
    public static func migrationSendResume(cntlid: UInt16) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.migrationSend.rawValue,
            cdw10: 1,
            cdw11: UInt32(cntlid)
        )
    }

    /// Migration Send, SEL 2 (set controller state): sends one piece of a
    /// controller state (as read by `migrationReceiveGetState`) to the
    /// migratable controller `cntlid`; data out.
    ///
    /// cdq-protocol.md §1 only names SEL 2 and the data direction. The other
    /// fields follow the layout of libnvme's `nvme_lm_migration_send` and are
    /// an assumption to check against a controller:
    /// - CDW10[31:16] = MOS with MOS[1:0] = sequence indicator.
    /// - CDW11[15:0] = CNTLID, [23:16] = CSVI (controller state version
    ///   index), [30:24] = CSUUIDI (controller state UUID index).
    /// - CDW12/CDW13 = byte offset (low/high) into the state,
    ///   CDW14[6:0] = UUID index, CDW15 = NUMD (0's based).
    ///
    /// - Precondition: `numberOfDwords >= 1` and
    ///   `controllerStateUUIDIndex <= 0x7F`, `uuidIndex <= 0x7F`.
    public static func migrationSendSetState(
        cntlid: UInt16,
        sequence: SequenceIndicator = .entireState,
        controllerStateVersionIndex: UInt8 = 0,
        controllerStateUUIDIndex: UInt8 = 0,
        offset: UInt64 = 0,
        numberOfDwords: UInt32,
        uuidIndex: UInt8 = 0
    ) -> NVMeCommand {
        precondition(numberOfDwords >= 1, "NUMD is 0's based: send at least one dword")
        precondition(controllerStateUUIDIndex <= 0x7F && uuidIndex <= 0x7F,
                     "UUID indexes are 7-bit fields")
        return NVMeCommand(
            opcode: AdminOpcode.migrationSend.rawValue,
            cdw10: 2 | UInt32(sequence.rawValue) << 16,
            cdw11: UInt32(cntlid)
                | UInt32(controllerStateVersionIndex) << 16
                | UInt32(controllerStateUUIDIndex) << 24,
            cdw12: UInt32(truncatingIfNeeded: offset),
            cdw13: UInt32(truncatingIfNeeded: offset >> 32),
            cdw14: UInt32(uuidIndex),
            cdw15: numberOfDwords - 1
        )
    }

    /// Migration Receive, SEL 0 (get controller state): reads
    /// `numberOfDwords` dwords of the state of migratable controller
    /// `cntlid`, starting at byte `offset`; data in. The data starts with
    /// the header decoded by `ControllerStateHeader`.
    ///
    /// CDW11[15:0] = CNTLID, CDW12/CDW13 = offset low/high, CDW15 = NUMD,
    /// 0's based: the builder takes a 1's based count and encodes count - 1.
    /// `formatVersion` (the controller state version index, CSVI) travels
    /// in MOS, CDW10[31:16], as nvme-cli's lm plugin sends it; 0 asks for
    /// the first format the controller lists. Its place within MOS is an
    /// assumption (protocol-choices.md).
    ///
    /// - Precondition: `numberOfDwords >= 1`.
    public static func migrationReceiveGetState(
        cntlid: UInt16, offset: UInt64, numberOfDwords: UInt32, formatVersion: UInt16 = 0
    ) -> NVMeCommand {
        precondition(numberOfDwords >= 1, "NUMD is 0's based: read at least one dword")
        return NVMeCommand(
            opcode: AdminOpcode.migrationReceive.rawValue,
            cdw10: UInt32(formatVersion) << 16,
            cdw11: UInt32(cntlid),
            cdw12: UInt32(truncatingIfNeeded: offset),
            cdw13: UInt32(truncatingIfNeeded: offset >> 32),
            cdw15: numberOfDwords - 1
        )
    }

    /// Set Features FID 0x21: moves the head of CDQ `cdqid` to entry index
    /// `head` and arms the tail pointer trigger at `tailPointerTrigger`, or
    /// disarms it when `nil` (cdq-protocol.md §1, §4: every head update that
    /// does not re-arm disarms).
    ///
    /// CDW10 = 0x21, CDW11[15:0] = CDQID, CDW11 bit 31 = ETPT,
    /// CDW12 = head, CDW13 = TPT (0 when not armed).
    @inlinable
    public static func setControllerDataQueue(
        cdqid: UInt16, head: UInt32, tailPointerTrigger: UInt32?
    ) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.setFeatures.rawValue,
            cdw10: UInt32(FeatureID.controllerDataQueue),
            cdw11: UInt32(cdqid) | (tailPointerTrigger == nil ? 0 : 1 << 31),
            cdw12: head,
            cdw13: tailPointerTrigger ?? 0
        )
    }

    /// Get Features FID 0x21 (current value): returns the 8-byte
    /// `CDQFeatureData` of CDQ `cdqid`. CDW10 = 0x21, CDW11[15:0] = CDQID.
    public static func getControllerDataQueue(cdqid: UInt16) -> NVMeCommand {
        getFeatures(featureID: FeatureID.controllerDataQueue, cdw11: UInt32(cdqid))
    }
}

/// Logging Action (LACT) of Track Send: MOS[3:0].
public enum LoggingAction: UInt8, Sendable, Hashable, CaseIterable {
    /// LACT 0: stop logging; the controller posts a LAST (logging stopped)
    /// entry.
    case stop = 0
    /// LACT 1: start logging; the controller posts a FIRST entry.
    case start = 1
}

/// Suspend Type (STYPE) of Migration Send suspend.
public enum SuspendType: UInt8, Sendable, Hashable, CaseIterable {
    /// 0: tell the controller a suspend is coming; it keeps running.
    case notification = 0
    /// 1: suspend the controller; it stops processing commands and posts a
    /// LAST (controller suspended) entry.
    case suspend = 1
}

/// Sequence Indicator of Migration Send set controller state (MOS[1:0]):
/// where this piece sits in a state sent in several commands.
///
/// Values follow libnvme's definitions; cdq-protocol.md does not list them.
public enum SequenceIndicator: UInt8, Sendable, Hashable, CaseIterable {
    case middle = 0
    case first = 1
    case last = 2
    /// The command carries the whole state.
    case entireState = 3
}
