import ArgumentParser
import CDQNVMe
import CDQSimulator

/// A command the simulated controller is told to refuse once (Invalid
/// Field in Command, DNR), so that what a user sees when a real controller
/// refuses (exit status 1, the status in the JSON error, what was undone)
/// can be run and tested without such a controller. Hidden: a test and
/// demonstration aid of `--simulate`, not a feature.
enum SimulatedRefusal: String, ExpressibleByArgument, CaseIterable {
    case createCDQ = "create-cdq"
    case trackSend = "track-send"
    case migrationSend = "migration-send"

    static let status = NVMeStatus.invalidFieldInCommand.withDoNotRetry()

    var opcode: AdminOpcode {
        switch self {
        case .createCDQ: .controllerDataQueue
        case .trackSend: .trackSend
        case .migrationSend: .migrationSend
        }
    }

    /// The next command with this opcode fails with `status`.
    func arm(_ faults: FaultKnobs) {
        faults.failNextAdminCommands(1, with: Self.status, opcode: opcode.rawValue)
    }

    static let help = ArgumentHelp(
        "With --simulate: the simulated controller refuses this command once (create-cdq, track-send, migration-send).",
        visibility: .hidden)
}
