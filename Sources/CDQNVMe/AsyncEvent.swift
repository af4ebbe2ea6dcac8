/// The completion of an Asynchronous Event Request: how a controller tells
/// the host about something that happened outside any command, such as a
/// CDQ tail pointer trigger firing (cdq-protocol.md §3).
///
/// | DW0 bits | field |
/// |---|---|
/// | 2:0 | asynchronous event type |
/// | 15:8 | asynchronous event information (the subtype) |
/// | 23:16 | log page identifier to read to clear the event |
///
/// DW1 is event specific (the event parameter); for CDQ events it holds
/// the CDQID. Decoding is total and never allocates.
public struct AsyncEventResult: Sendable, Hashable {
    /// Completion DW0 as received.
    public var dw0: UInt32
    /// Completion DW1 as received.
    public var dw1: UInt32

    public init(dw0: UInt32, dw1: UInt32 = 0) {
        self.dw0 = dw0
        self.dw1 = dw1
    }

    /// Asynchronous Event Type, DW0 bits 2:0.
    public var eventType: AsyncEventType { AsyncEventType(rawValue: UInt8(truncatingIfNeeded: dw0)) }
    /// Asynchronous Event Information, DW0 bits 15:8.
    public var eventInformation: UInt8 { UInt8(truncatingIfNeeded: dw0 >> 8) }
    /// Log Page Identifier, DW0 bits 23:16.
    public var logPageIdentifier: UInt8 { UInt8(truncatingIfNeeded: dw0 >> 16) }
    /// Event parameter, DW1.
    public var eventParameter: UInt32 { dw1 }

    /// The CDQ event, for event type 4 with a known subtype; `nil`
    /// otherwise.
    public var controllerDataQueueEvent: CDQEvent? {
        guard eventType == .controllerDataQueue else { return nil }
        let cdqid = UInt16(truncatingIfNeeded: dw1)
        switch eventInformation {
        case 0: return .tailPointerTrigger(cdqid: cdqid)
        case 1: return .queueFull(cdqid: cdqid)
        default: return nil
        }
    }
}

/// Asynchronous Event Type, completion DW0 bits 2:0.
public enum AsyncEventType: Sendable, Hashable {
    /// 0: Error status.
    case error
    /// 1: SMART / Health status.
    case smartHealth
    /// 2: Notice (namespace attribute changed, firmware activation, ...).
    case notice
    /// 3: Immediate.
    case immediate
    /// 4: Controller Data Queue events, the TP4159 assignment used by
    /// cdq-protocol.md §3.
    case controllerDataQueue
    /// 6: I/O Command Set specific status.
    case ioCommandSetSpecific
    /// 7: Vendor specific.
    case vendorSpecific
    /// 5: reserved.
    case reserved(UInt8)

    /// Decodes the low three bits of `rawValue`; total.
    public init(rawValue: UInt8) {
        switch rawValue & 0b111 {
        case 0: self = .error
        case 1: self = .smartHealth
        case 2: self = .notice
        case 3: self = .immediate
        case 4: self = .controllerDataQueue
        case 6: self = .ioCommandSetSpecific
        case 7: self = .vendorSpecific
        case let other: self = .reserved(other)
        }
    }

    /// The 3-bit type value. For `.reserved`, the carried value's low three
    /// bits.
    public var rawValue: UInt8 {
        switch self {
        case .error: 0
        case .smartHealth: 1
        case .notice: 2
        case .immediate: 3
        case .controllerDataQueue: 4
        case .ioCommandSetSpecific: 6
        case .vendorSpecific: 7
        case .reserved(let value): value & 0b111
        }
    }
}

/// A CDQ asynchronous event (type 4); the subtype is the event information
/// field. Subtype 1 is what the QEMU emulation sends (cdq-protocol.md §3).
public enum CDQEvent: Sendable, Hashable {
    /// Subtype 0: the tail reached the armed tail pointer trigger, which is
    /// now disarmed.
    case tailPointerTrigger(cdqid: UInt16)
    /// Subtype 1: the queue filled; logging has stopped.
    case queueFull(cdqid: UInt16)

    /// The queue the event is about.
    public var cdqid: UInt16 {
        switch self {
        case .tailPointerTrigger(let cdqid), .queueFull(let cdqid): cdqid
        }
    }
}
