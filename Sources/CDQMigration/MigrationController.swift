import CDQEngine
import CDQNVMe

/// The controller side of a migration: the one migratable controller whose
/// namespace is being copied, with its user data migration queue attached
/// to an engine that delivers the queue's records to `consumer`.
///
/// The migrator calls these from one thread, in this order: `startLogging`,
/// then `suspend` (and, once it read the LAST entry from `consumer`,
/// `detachAfterSuspend`, with `isSuspended` before and after the final
/// copy), or, when the migration fails before or after the
/// suspend, `abandon`. `AttachedMigrationSource` implements it on any
/// `QueueBackend`: the kernel's `/dev/nvmeN` or the simulator.
public protocol MigrationController: AnyObject {
    /// Where the engine delivers this queue's records; read only by the migrator.
    var consumer: Consumer { get }
    /// The CDQID of the queue, as records carry it.
    var cdqid: UInt16 { get }
    /// The namespace being migrated.
    var nsid: UInt32 { get }
    /// How this backend's entries count blocks.
    var convention: NLBConvention { get }
    /// Who the queue is, for log metadata and metric dimensions.
    var labels: QueueLabels { get }

    /// Track Send start: every change from now on is logged.
    func startLogging() throws(MigrationError)
    /// Migration Send suspend: the controller posts a LAST (suspended) entry.
    /// Throws `.controller` when the controller refuses, in which case it
    /// keeps running and logging.
    func suspend() throws(MigrationError)
    /// The LAST (suspended) entry was read: delete the queue.
    func detachAfterSuspend()
    /// Whether the controller is suspended now, as it says itself
    /// (Migration Receive, CSATTR bit 0; Controller Not Suspended counts as
    /// no). Asked before and after the final copy: a controller that
    /// resumed meanwhile (a kernel that reset it after a read through it
    /// timed out, cdq-protocol.md §6b) was not frozen while it was copied.
    /// Throws when the controller cannot be asked or does not answer.
    func isSuspended() throws(MigrationError) -> Bool
    /// The migration failed: resume the controller if it was suspended,
    /// stop logging, delete the queue. The source keeps running as before.
    /// Returns what was done, for the error message.
    func abandon() -> String
}
