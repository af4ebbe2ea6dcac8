import ArgumentParser
import CDQKernel

/// `cdqctl cleanup`: deletes the CDQs that dead processes left behind (a
/// `watch` killed with SIGKILL), as their records in /run/cdq-engine say.
struct Cleanup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Stop and delete the CDQs that processes which died left on a controller.",
        discussion: """
            The RFC kernel keeps a queue, its pinned pages and its own entry when the process that \
            created it dies. Every queue cdqctl and the engine create is recorded in \
            \(QueueRecordStore.defaultRoot) (root's, mode 0700); cleanup takes the records of this \
            controller (serial and CNTLID from Identify) whose process is gone, sends Track Send stop \
            and deletes the queue the way it was created: through NVME_IOCTL_CDQ only when the record \
            says so. A record that is not root's, not a regular file, a symlink, damaged, or of another \
            controller is reported and never acted on.
            """)

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(json: common.json) {
            let admin = try openAdmin(common.device)
            let identity = try ControllerIdentity.identify(admin.device)
            let outcomes = try OrphanCleanup(store: QueueRecordStore(), controller: identity).run(.controller(admin))
            emit([("controller", .string(identity.description))] + Self.fields(outcomes), json: common.json)
            if outcomes.contains(where: { if case .failed = $0 { true } else { false } }) {
                throw ValidationError("some queues could not be deleted; see \"failed\"")
            }
        }
    }

    static func fields(_ outcomes: [OrphanCleanup.Outcome]) -> [(String, JSON)] {
        var deleted: [JSON] = [], running: [JSON] = [], refused: [JSON] = [], failed: [JSON] = []
        for outcome in outcomes {
            switch outcome {
            case .deleted(let record, let through): deleted.append(.object(describe(record) + [("through", .string(through))]))
            case .ownerAlive(let record): running.append(.object(describe(record)))
            case .refused(let name, let reason): refused.append(.object([("record", .string(name)), ("reason", .string(reason))]))
            case .failed(let record, let reason): failed.append(.object(describe(record) + [("reason", .string(reason))]))
            }
        }
        return [("deleted", .array(deleted)), ("owner_running", .array(running)), ("refused", .array(refused)), ("failed", .array(failed))]
    }

    static func describe(_ record: QueueRecord) -> [(String, JSON)] {
        [("cdqid", .uint(record.cdqid)), ("cntlid", .uint(record.cntlid)), ("pid", .int(Int64(record.pid)))]
    }
}
