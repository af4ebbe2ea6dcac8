import CDQNVMe
import CDQUring

/// What a simulated NVM subsystem is made of.
public struct SubsystemConfiguration: Sendable {
    /// Migratable controllers, CNTLID 1...n (the managing controller is 0).
    public var migratableControllers: Int
    /// Each migratable controller has one namespace, NSID = its CNTLID.
    public var namespaceCapacity: UInt64
    public var lbaSize: Int
    public var backing: SubsystemBacking
    /// Most CDQs that may exist at once (Create beyond it: Not Enough Resources).
    public var maximumQueues: Int
    public var serialNumber: String

    public init(
        migratableControllers: Int = 4, namespaceCapacity: UInt64 = 1 << 21, lbaSize: Int = 512,
        backing: SubsystemBacking = .memory, maximumQueues: Int = 4096, serialNumber: String = "CDQSIM0001"
    ) {
        self.migratableControllers = migratableControllers
        self.namespaceCapacity = namespaceCapacity
        self.lbaSize = lbaSize
        self.backing = backing
        self.maximumQueues = maximumQueues
        self.serialNumber = serialNumber
    }
}

/// Where the namespaces' data lives.
public enum SubsystemBacking: Sendable {
    /// Anonymous memory, touched only where written.
    case memory
    /// One sparse file per namespace in `directory` (`nsN.img`).
    case files(directory: String)
    /// No data kept (reads return zeroes): for measuring the logging path.
    case discard
}

/// A software NVM subsystem with CDQ support: one managing controller
/// (CNTLID 0) that takes the admin commands of cdq-protocol.md §1, and
/// migratable controllers whose writes it logs (§3).
///
/// `execute` runs one admin command synchronously; `ControllerRunner`
/// serves the same commands from its own thread through doorbell rings.
/// Admin commands are serialised, as on one admin queue; the I/O path of
/// each migratable controller may be used from any thread meanwhile.
public final class SimulatedSubsystem: @unchecked Sendable {
    // @unchecked: mutable state is inside `admin` (a Mutex) or the controllers' own locks.

    public let configuration: SubsystemConfiguration
    public let controllers: [SimulatedController]
    public let faults = FaultKnobs()

    struct AdminState {
        /// CDQID -> CNTLID of the migratable controller whose queue it is.
        var queues: [UInt16: UInt16] = [:]
        var commandsExecuted = 0
    }
    let admin = Locked(AdminState())

    public init(_ configuration: SubsystemConfiguration = SubsystemConfiguration()) throws(SystemError) {
        guard (1...65_534).contains(configuration.migratableControllers) else {
            throw SystemError("simulated subsystem: migratableControllers must be 1...65534", errno: 22)
        }
        self.configuration = configuration
        var controllers: [SimulatedController] = []
        for cntlid in 1...UInt16(configuration.migratableControllers) {
            let namespace = try SimulatedNamespace(
                nsid: UInt32(cntlid), lbaSize: configuration.lbaSize, capacity: configuration.namespaceCapacity,
                backing: Self.backing(configuration.backing, nsid: UInt32(cntlid)))
            controllers.append(SimulatedController(cntlid: cntlid, namespaces: [namespace], faults: faults))
        }
        self.controllers = controllers
    }

    private static func backing(_ backing: SubsystemBacking, nsid: UInt32) -> NamespaceBacking {
        switch backing {
        case .memory: .memory
        case .discard: .discard
        case .files(let directory): .file(path: "\(directory)/ns\(nsid).img")
        }
    }

    /// The migratable controller with this CNTLID.
    public func controller(_ cntlid: UInt16) -> SimulatedController? {
        guard cntlid >= 1, Int(cntlid) <= controllers.count else { return nil }
        return controllers[Int(cntlid) - 1]
    }

    /// CDQIDs that exist now, in ascending order.
    public var queueIDs: [UInt16] { admin.withLock { $0.queues.keys.sorted() } }

    /// Admin commands executed so far (injected failures included).
    public var adminCommandsExecuted: Int { admin.withLock { $0.commandsExecuted } }

    /// Delivers delayed trigger signals whose time has come; returns the
    /// deadline of the next one still waiting. `ControllerRunner` calls it on
    /// its thread; deterministic tests call it themselves.
    @discardableResult
    public func deliverDueSignals() -> UInt64? { faults.deliverDueSignals() }

    /// Runs one admin command to completion. Never traps on any command image.
    public func execute(_ request: AdminRequest) -> AdminCompletion {
        admin.withLock { state in
            state.commandsExecuted += 1
            if let failure = faults.takeAdminFailure(opcode: request.command.opcode) { return AdminCompletion(status: failure) }
            return dispatch(request, &state)
        }
    }

    private func dispatch(_ request: AdminRequest, _ state: inout AdminState) -> AdminCompletion {
        let command = request.command
        switch AdminOpcode(rawValue: command.opcode) {
        case .controllerDataQueue:
            switch command.cdw10 & 0xFF {
            case 0: return createQueue(request, &state)
            case 1: return deleteQueue(cdqid: UInt16(truncatingIfNeeded: command.cdw11), &state)
            default: return .reject(.invalidFieldInCommand)
            }
        case .trackSend: return trackSend(command, state)
        case .migrationSend: return migrationSend(command, &state)
        case .migrationReceive: return migrationReceive(request)
        case .setFeatures: return setFeatures(command, state)
        case .getFeatures: return getFeatures(request, state)
        case .identify: return identify(request)
        default: return .reject(.invalidCommandOpcode)
        }
    }
}
