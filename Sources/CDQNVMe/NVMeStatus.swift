/// The 15-bit status field of an NVMe completion: what happened to a
/// command.
///
/// | bits | field |
/// |---|---|
/// | 7:0 | SC, status code (meaning depends on SCT) |
/// | 10:8 | SCT, status code type |
/// | 12:11 | CRD, command retry delay (index into the controller's CRDT times) |
/// | 13 | M, more: details are in the Error Information log |
/// | 14 | DNR, do not retry: the same command would fail again |
///
/// io_uring passthrough delivers exactly this value in `cqe->res` when it is
/// positive (cdq-protocol.md §1, §5); in a raw completion queue entry it is
/// DW3 bits 31:17, above the phase bit. Decoding never allocates; only
/// `description` does.
///
/// Equality compares every bit. To ask "which error was it" regardless of
/// DNR, More and CRD, use `matches(_:)`.
public struct NVMeStatus: Sendable, Hashable, BitwiseCopyable, CustomStringConvertible {
    /// The 15-bit status field (bit 15 always zero).
    public let rawValue: UInt16

    /// The status as carried by io_uring `cqe->res`. Bit 15 is not part of
    /// the field and is dropped.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue & 0x7FFF
    }

    /// The status from completion queue entry DW3 (bits 31:17; bit 16, the
    /// phase tag, and the command identifier in bits 15:0 are ignored).
    @inlinable
    public init(completionDW3: UInt32) {
        self.init(rawValue: UInt16(truncatingIfNeeded: completionDW3 >> 17))
    }

    /// Composes a status from its fields.
    ///
    /// - Precondition: `commandRetryDelay <= 3` (a 2-bit field).
    public init(
        codeType: StatusCodeType, code: UInt8,
        doNotRetry: Bool = false, more: Bool = false, commandRetryDelay: UInt8 = 0
    ) {
        precondition(commandRetryDelay <= 3, "CRD is a 2-bit field")
        self.init(rawValue: UInt16(code)
            | UInt16(codeType.rawValue) << 8
            | UInt16(commandRetryDelay) << 11
            | (more ? 1 << 13 : 0)
            | (doNotRetry ? 1 << 14 : 0))
    }

    /// SCT: the family the code belongs to.
    @inlinable
    public var codeType: StatusCodeType { StatusCodeType(rawValue: UInt8(truncatingIfNeeded: rawValue >> 8)) }
    /// SC: the code within its family.
    @inlinable
    public var code: UInt8 { UInt8(truncatingIfNeeded: rawValue) }
    /// CRD: which Command Retry Delay Time to wait before a retry (0 = none).
    @inlinable
    public var commandRetryDelay: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 11) & 0b11 }
    /// M: more status information is in the Error Information log page.
    @inlinable
    public var more: Bool { rawValue & (1 << 13) != 0 }
    /// DNR: retrying the same command is expected to fail again.
    @inlinable
    public var doNotRetry: Bool { rawValue & (1 << 14) != 0 }
    /// Successful Completion (SCT 0, SC 0), whatever the other bits say.
    @inlinable
    public var isSuccess: Bool { rawValue & 0x7FF == 0 }

    /// True when both statuses have the same SCT and SC; DNR, More and CRD
    /// are ignored, since they describe the attempt, not the error.
    @inlinable
    public func matches(_ other: NVMeStatus) -> Bool {
        rawValue & 0x7FF == other.rawValue & 0x7FF
    }

    /// This status with DNR set (or cleared).
    public func withDoNotRetry(_ doNotRetry: Bool = true) -> NVMeStatus {
        NVMeStatus(rawValue: doNotRetry ? rawValue | 1 << 14 : rawValue & ~(1 << 14))
    }

    /// The specification's name for this SCT/SC pair, or `nil` when this
    /// model does not know it. Returns a literal: no allocation.
    public var name: String? { NVMeStatus.name(codeType: codeType, code: code) }

    /// E.g. `Invalid Command Opcode (SCT 0, SC 0x01, DNR)` or
    /// `Unknown status (SCT 1, SC 0x99)`; CRD and More are listed when set.
    public var description: String {
        let codeHex = String(code, radix: 16, uppercase: true)
        var text = "\(name ?? "Unknown status") (SCT \(codeType.rawValue), SC 0x"
            + (code < 0x10 ? "0" : "") + codeHex
        if commandRetryDelay != 0 { text += ", CRD \(commandRetryDelay)" }
        if more { text += ", More" }
        if doNotRetry { text += ", DNR" }
        return text + ")"
    }
}

/// Status Code Type (SCT), status bits 10:8.
public enum StatusCodeType: Sendable, Hashable {
    /// 0: Generic Command Status, common to all commands.
    case generic
    /// 1: Command Specific Status: the SC means something for this opcode.
    case commandSpecific
    /// 2: Media and Data Integrity Errors.
    case mediaAndDataIntegrity
    /// 3: Path Related Status (transport and multipath).
    case path
    /// 7: Vendor Specific.
    case vendorSpecific
    /// 4, 5 or 6: reserved by the specification.
    case reserved(UInt8)

    /// Decodes the low three bits of `rawValue`; total.
    @inlinable
    public init(rawValue: UInt8) {
        switch rawValue & 0b111 {
        case 0: self = .generic
        case 1: self = .commandSpecific
        case 2: self = .mediaAndDataIntegrity
        case 3: self = .path
        case 7: self = .vendorSpecific
        case let other: self = .reserved(other)
        }
    }

    /// The 3-bit SCT value. For `.reserved`, the carried value's low three
    /// bits.
    @inlinable
    public var rawValue: UInt8 {
        switch self {
        case .generic: 0
        case .commandSpecific: 1
        case .mediaAndDataIntegrity: 2
        case .path: 3
        case .vendorSpecific: 7
        case .reserved(let value): value & 0b111
        }
    }
}

extension NVMeStatus {
    // Named statuses, all without DNR/More/CRD; compare with `matches(_:)`.

    /// Successful Completion.
    public static let success = NVMeStatus(rawValue: 0)

    // Generic (SCT 0).
    public static let invalidCommandOpcode = NVMeStatus(codeType: .generic, code: 0x01)
    public static let invalidFieldInCommand = NVMeStatus(codeType: .generic, code: 0x02)
    public static let commandIDConflict = NVMeStatus(codeType: .generic, code: 0x03)
    public static let dataTransferError = NVMeStatus(codeType: .generic, code: 0x04)
    public static let internalError = NVMeStatus(codeType: .generic, code: 0x06)
    public static let commandAbortRequested = NVMeStatus(codeType: .generic, code: 0x07)
    public static let invalidNamespaceOrFormat = NVMeStatus(codeType: .generic, code: 0x0B)
    public static let commandSequenceError = NVMeStatus(codeType: .generic, code: 0x0C)
    public static let lbaOutOfRange = NVMeStatus(codeType: .generic, code: 0x80)
    public static let capacityExceeded = NVMeStatus(codeType: .generic, code: 0x81)
    public static let namespaceNotReady = NVMeStatus(codeType: .generic, code: 0x82)

    // Command specific (SCT 1).
    public static let completionQueueInvalid = NVMeStatus(codeType: .commandSpecific, code: 0x00)
    public static let invalidQueueIdentifier = NVMeStatus(codeType: .commandSpecific, code: 0x01)
    public static let invalidQueueSize = NVMeStatus(codeType: .commandSpecific, code: 0x02)
    public static let invalidLogPage = NVMeStatus(codeType: .commandSpecific, code: 0x09)
    public static let featureIdentifierNotSaveable = NVMeStatus(codeType: .commandSpecific, code: 0x0D)
    public static let featureNotChangeable = NVMeStatus(codeType: .commandSpecific, code: 0x0E)
    public static let featureNotNamespaceSpecific = NVMeStatus(codeType: .commandSpecific, code: 0x0F)
    public static let invalidControllerIdentifier = NVMeStatus(codeType: .commandSpecific, code: 0x1F)
    /// The CDQID names no queue of this controller (cdq-protocol.md §1).
    public static let invalidControllerDataQueue = NVMeStatus(codeType: .commandSpecific, code: 0x37)
    /// The controller cannot create another CDQ, or one this large.
    public static let notEnoughResources = NVMeStatus(codeType: .commandSpecific, code: 0x38)
    /// The migratable controller is suspended.
    public static let controllerSuspended = NVMeStatus(codeType: .commandSpecific, code: 0x39)
    /// The command needs a suspended controller (e.g. get state).
    public static let controllerNotSuspended = NVMeStatus(codeType: .commandSpecific, code: 0x3A)
    /// The CDQ has no free entry.
    public static let controllerDataQueueFull = NVMeStatus(codeType: .commandSpecific, code: 0x3B)
}
