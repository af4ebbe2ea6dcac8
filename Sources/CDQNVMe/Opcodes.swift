/// Admin command opcodes (NVMe Base Specification, admin command set), as
/// sent on the admin queue of the managing controller.
///
/// The live-migration opcodes (Track Send, Migration Send/Receive,
/// Controller Data Queue) come from TP4159; cdq-protocol.md §1 lists how
/// this project uses them.
public enum AdminOpcode: UInt8, Sendable, Hashable, CaseIterable {
    case deleteIOSubmissionQueue = 0x00
    case createIOSubmissionQueue = 0x01
    case getLogPage = 0x02
    case deleteIOCompletionQueue = 0x04
    case createIOCompletionQueue = 0x05
    case identify = 0x06
    case abort = 0x08
    case setFeatures = 0x09
    case getFeatures = 0x0A
    case asynchronousEventRequest = 0x0C
    case namespaceManagement = 0x0D
    case firmwareCommit = 0x10
    case firmwareImageDownload = 0x11
    case deviceSelfTest = 0x14
    case namespaceAttachment = 0x15
    case keepAlive = 0x18
    case directiveSend = 0x19
    case directiveReceive = 0x1A
    case virtualizationManagement = 0x1C
    case nvmeMISend = 0x1D
    case nvmeMIReceive = 0x1E
    case capacityManagement = 0x20
    case lockdown = 0x24
    /// Starts or stops logging of user data changes into a CDQ.
    case trackSend = 0x3D
    /// Suspends, resumes, or loads the state of a migratable controller.
    case migrationSend = 0x41
    /// Reads the state of a migratable controller.
    case migrationReceive = 0x42
    /// Creates or deletes a Controller Data Queue.
    case controllerDataQueue = 0x45
    case doorbellBufferConfig = 0x7C
    case formatNVM = 0x80
    case securitySend = 0x81
    case securityReceive = 0x82
    case sanitize = 0x84
    case getLBAStatus = 0x86
}

/// NVM command set I/O opcodes.
public enum IOOpcode: UInt8, Sendable, Hashable, CaseIterable {
    case flush = 0x00
    case write = 0x01
    case read = 0x02
    case writeUncorrectable = 0x04
    case compare = 0x05
    case writeZeroes = 0x08
    case datasetManagement = 0x09
    case verify = 0x0C
    case reservationRegister = 0x0D
    case reservationReport = 0x0E
    case reservationAcquire = 0x11
    case reservationRelease = 0x15
    case copy = 0x19
}
