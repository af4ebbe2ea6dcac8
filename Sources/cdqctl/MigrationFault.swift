import CDQMigration
import CDQSimulator

/// `cdqctl migrate --simulate --simulate-fault` (hidden; for tests): the
/// simulated controller misbehaves halfway through the bulk copy.
final class MigrationFault {
    private var fault: SimulatedFault?
    private let subsystem: SimulatedSubsystem

    init(_ fault: SimulatedFault?, subsystem: SimulatedSubsystem) {
        self.fault = fault
        self.subsystem = subsystem
    }

    func check(_ progress: MigrationProgress) {
        guard let pending = fault, progress.phase == .bulk, progress.copiedBytes >= progress.phaseBytes / 2 else { return }
        fault = nil
        WatchTarget.inject(pending, into: subsystem, cntlid: 1)
    }
}
