import CDQMigration
import CDQNVMe

/// A migration that failed after it began writing its destination: what
/// the destination holds is part of a copy, and the message says so.
/// A refusal by the controller stays one (exit status 1, its fields).
struct IncompleteDestination: CarriesNVMeStatus, CustomStringConvertible {
    let cause: any Error
    let destination: String

    var description: String { "\(cause); the destination \(destination) is incomplete" }
    var nvmeStatus: NVMeStatus? { (cause as? any CarriesNVMeStatus)?.nvmeStatus }
}

extension Migrator {
    /// Runs the migration, showing its progress on `display` (and handing
    /// it to `also`); a failure says that `destination` is incomplete.
    func run(
        into destination: String, display: ProgressDisplay, also: @escaping (MigrationProgress) -> Void = { _ in }
    ) throws -> MigrationReport {
        do {
            let report = try run { display.show($0); also($0) }
            display.finish()
            return report
        } catch {
            display.finish()
            throw IncompleteDestination(cause: error, destination: destination)
        }
    }
}

/// The `--destination` forms `cdqctl migrate` takes, for its help.
let destinationHelp = "Destination: a regular file (created), a block device, or an NBD URI "
    + "(nbd://host[:port]/export, nbd+unix:///export?socket=PATH, nbds://... for TLS)."
