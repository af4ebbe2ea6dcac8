/// Builders for the general-purpose admin commands: Identify, Get/Set
/// Features and Get Log Page. The live-migration commands are in
/// MigrationCommands.swift.
///
/// Each builder produces the exact command image; fields not mentioned are
/// zero. None allocates.
extension NVMeCommand {
    /// Identify: returns a 4096-byte data structure selected by `cns`
    /// (controller to host).
    ///
    /// CDW10[7:0] = CNS, NSID per the CNS value.
    public static func identify(_ cns: IdentifyCNS) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.identify.rawValue,
            nsid: cns.nsid,
            cdw10: UInt32(cns.cns)
        )
    }

    /// Get Features: reads the value of feature `featureID` (see
    /// `FeatureID`).
    ///
    /// CDW10[7:0] = FID, CDW10[10:8] = SEL; CDW11 is feature specific
    /// (e.g. the CDQID for FID 0x21). The value arrives in completion DW0
    /// and, for some features, in a data buffer.
    public static func getFeatures(
        featureID: UInt8, select: FeatureSelect = .current,
        cdw11: UInt32 = 0, nsid: UInt32 = 0
    ) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.getFeatures.rawValue,
            nsid: nsid,
            cdw10: UInt32(featureID) | UInt32(select.rawValue) << 8,
            cdw11: cdw11
        )
    }

    /// Set Features: changes feature `featureID`.
    ///
    /// CDW10[7:0] = FID, CDW10 bit 31 = SV (save across resets);
    /// CDW11 and CDW12 are feature specific.
    public static func setFeatures(
        featureID: UInt8, cdw11: UInt32, cdw12: UInt32 = 0,
        save: Bool = false, nsid: UInt32 = 0
    ) -> NVMeCommand {
        NVMeCommand(
            opcode: AdminOpcode.setFeatures.rawValue,
            nsid: nsid,
            cdw10: UInt32(featureID) | (save ? 1 << 31 : 0),
            cdw11: cdw11,
            cdw12: cdw12
        )
    }

    /// Get Log Page: reads `numberOfDwords` dwords of log page `logPageID`
    /// starting at byte `offset` (see `LogPageID`).
    ///
    /// - CDW10: bits 7:0 LID, 14:8 LSP (log specific parameter),
    ///   bit 15 RAE (retain asynchronous event: do not clear the event that
    ///   pointed at this log), 31:16 NUMDL.
    /// - CDW11: bits 15:0 NUMDU, 31:16 LSI (log specific identifier).
    /// - CDW12/CDW13: LPOL/LPOU, the byte offset (dword aligned).
    ///
    /// NUMD (NUMDU:NUMDL) is 0's based; this builder takes the 1's based
    /// count and encodes `numberOfDwords - 1`.
    ///
    /// - Precondition: `numberOfDwords >= 1` and `logSpecific <= 0x7F`
    ///   (the field is 7 bits wide). Both are programmer errors.
    public static func getLogPage(
        logPageID: UInt8, numberOfDwords: UInt32, offset: UInt64 = 0,
        logSpecific: UInt8 = 0, retainAsynchronousEvent: Bool = false,
        logSpecificIdentifier: UInt16 = 0, nsid: UInt32 = 0xFFFF_FFFF
    ) -> NVMeCommand {
        precondition(numberOfDwords >= 1, "Get Log Page needs at least one dword")
        precondition(logSpecific <= 0x7F, "LSP is a 7-bit field")
        let numd = numberOfDwords - 1
        return NVMeCommand(
            opcode: AdminOpcode.getLogPage.rawValue,
            nsid: nsid,
            cdw10: UInt32(logPageID)
                | UInt32(logSpecific) << 8
                | (retainAsynchronousEvent ? 1 << 15 : 0)
                | (numd & 0xFFFF) << 16,
            cdw11: numd >> 16 | UInt32(logSpecificIdentifier) << 16,
            cdw12: UInt32(truncatingIfNeeded: offset),
            cdw13: UInt32(truncatingIfNeeded: offset >> 32)
        )
    }
}

/// Controller or Namespace Structure (CNS): which Identify data structure
/// to return.
public enum IdentifyCNS: Sendable, Hashable {
    /// CNS 00h: Identify Namespace data structure for the given NSID.
    case namespace(UInt32)
    /// CNS 01h: Identify Controller data structure.
    case controller
    /// CNS 02h: up to 1024 active NSIDs greater than the given one.
    case activeNamespaceIDList(after: UInt32)

    /// The CNS value for CDW10[7:0].
    public var cns: UInt8 {
        switch self {
        case .namespace: 0x00
        case .controller: 0x01
        case .activeNamespaceIDList: 0x02
        }
    }

    /// The NSID the command carries for this CNS.
    public var nsid: UInt32 {
        switch self {
        case .namespace(let nsid): nsid
        case .controller: 0
        case .activeNamespaceIDList(let after): after
        }
    }
}

/// Select (SEL) of Get Features: which value of the feature to return.
public enum FeatureSelect: UInt8, Sendable, Hashable, CaseIterable {
    case current = 0
    case `default` = 1
    case saved = 2
    /// Returns the capabilities (saveable, namespace specific, changeable)
    /// in DW0 instead of the value.
    case supportedCapabilities = 3
}

/// Feature Identifiers (FID) for Get/Set Features.
public enum FeatureID {
    public static let arbitration: UInt8 = 0x01
    public static let powerManagement: UInt8 = 0x02
    public static let lbaRangeType: UInt8 = 0x03
    public static let temperatureThreshold: UInt8 = 0x04
    public static let errorRecovery: UInt8 = 0x05
    public static let volatileWriteCache: UInt8 = 0x06
    public static let numberOfQueues: UInt8 = 0x07
    public static let interruptCoalescing: UInt8 = 0x08
    public static let interruptVectorConfiguration: UInt8 = 0x09
    public static let writeAtomicityNormal: UInt8 = 0x0A
    public static let asyncEventConfiguration: UInt8 = 0x0B
    public static let autonomousPowerStateTransition: UInt8 = 0x0C
    public static let hostMemoryBuffer: UInt8 = 0x0D
    public static let timestamp: UInt8 = 0x0E
    public static let keepAliveTimer: UInt8 = 0x0F
    /// Head pointer and tail pointer trigger of a CDQ (cdq-protocol.md §1);
    /// see `CDQFeatureData`.
    public static let controllerDataQueue: UInt8 = 0x21
}

/// Log Page Identifiers (LID) for Get Log Page.
public enum LogPageID {
    public static let supportedLogPages: UInt8 = 0x00
    public static let errorInformation: UInt8 = 0x01
    public static let smartHealthInformation: UInt8 = 0x02
    public static let firmwareSlotInformation: UInt8 = 0x03
    public static let changedNamespaceList: UInt8 = 0x04
    public static let commandsSupportedAndEffects: UInt8 = 0x05
    public static let deviceSelfTest: UInt8 = 0x06
}
