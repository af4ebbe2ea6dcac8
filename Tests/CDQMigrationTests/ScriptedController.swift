import CDQEngine
import CDQMigration
import CDQNVMe

/// A `MigrationController` whose records a test writes itself: no engine,
/// no simulator, every record exactly as the test wants it. Logging start
/// and suspend post the markers a correct controller posts.
final class ScriptedController: MigrationController {
    let consumer: Consumer
    let cdqid: UInt16 = 3
    let nsid: UInt32 = 1
    let convention = NLBConvention.specification
    private(set) var suspended = false
    private(set) var resumes = 0

    init() throws { consumer = try Consumer(capacity: 256) }

    /// Delivers a record as the engine would (the migrator's own thread
    /// pushes and pops, so the ring's one producer and one consumer hold).
    func deliver(_ entry: MigrationQueueEntry, kind: CDQRecord.Kind = .entry, detail: UInt8 = 0, cdqid: UInt16? = nil) {
        var raw: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { entry.write(to: $0.baseAddress!, includingPhase: true) }
        let pushed = consumer.ring.tryPush(CDQRecord(raw: raw, queue: 0, cdqid: cdqid ?? self.cdqid, kind: kind, detail: detail))
        precondition(pushed, "scripted ring full")
    }

    func startLogging() throws(MigrationError) { deliver(.marker(.first, phaseTag: true)) }

    func suspend() throws(MigrationError) {
        suspended = true
        deliver(.marker(.lastControllerSuspended, phaseTag: true))
    }

    func detachAfterSuspend() {}

    func isSuspended() throws(MigrationError) -> Bool { suspended }

    func abandon() -> String {
        guard suspended else { return "controller was not suspended" }
        suspended = false
        resumes += 1
        return "controller resumed"
    }
}
