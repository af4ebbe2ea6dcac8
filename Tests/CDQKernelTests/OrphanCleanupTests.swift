import CDQKernel
import CDQTestSupport
import Foundation
import Testing

/// `cdqctl cleanup`'s rules with the controller replaced by recorders and
/// the record directory by a scratch one: only sound records of this
/// controller whose process is gone are acted on, and only a queue the
/// record shows as made through the ioctl is deleted through it.
@Suite struct OrphanCleanupTests {
    static let controller = ControllerIdentity(serial: "SN 0001", cntlid: 0)

    final class Calls {
        var log: [String] = []
        var stopFails = false
        func actions(alive: Set<Int32> = []) -> OrphanCleanup.Actions {
            OrphanCleanup.Actions(
                isAlive: { alive.contains($0) },
                stopLogging: { [self] cdqid in
                    log.append("stop \(cdqid)")
                    if stopFails { throw NSError(domain: "Invalid Controller Data Queue", code: 0x4137) }
                },
                deleteThroughIoctl: { [self] in log.append("ioctl-delete \($0)") },
                deleteThroughPassthrough: { [self] in log.append("passthrough-delete \($0)") })
        }
    }

    /// Runs `body` with a store in a scratch tree, with the test's uid as
    /// the owner; the tree lives until `body` returns.
    func withStore(_ body: (QueueRecordStore, FileTree) throws -> Void) throws {
        let tree = FileTree("records")
        try withExtendedLifetime(tree) { try body(QueueRecordStore(root: tree.path("run"), owner: geteuid()), tree) }
    }

    func record(pid: Int32, cdqid: UInt16, ioctl: Bool = true, controller: ControllerIdentity = controller) -> QueueRecord {
        QueueRecord(pid: pid, cdqid: cdqid, cntlid: 1, createdThroughIoctl: ioctl, controller: controller, device: "/dev/nvme0")
    }

    @Test func aRecordSurvivesItsTextAndTheStoreCreatesAPrivateDirectory() throws {
        try withStore { store, _ in
            let written = record(pid: 4242, cdqid: 3)
            #expect(QueueRecord(text: written.text) == written)
            try store.write(written)
            var status = stat()
            #expect(stat(store.root, &status) == 0 && status.st_mode & 0o777 == 0o700)
            #expect(store.records(on: Self.controller) == [written])
            #expect(store.records(on: ControllerIdentity(serial: "OTHER", cntlid: 0)).isEmpty)
        }
    }

    @Test func aDeadOwnersIoctlQueueIsStoppedAndDeletedThroughTheIoctl() throws {
        try withStore { store, _ in
            try store.write(record(pid: 100, cdqid: 1))
            try store.write(record(pid: 200, cdqid: 2, ioctl: false))
            try store.write(record(pid: 300, cdqid: 3))
            let calls = Calls()
            let outcomes = try OrphanCleanup(store: store, controller: Self.controller).run(calls.actions(alive: [300]))
            #expect(calls.log == ["stop 1", "ioctl-delete 1", "stop 2", "passthrough-delete 2"])
            #expect(outcomes.count == 3)
            #expect(outcomes.contains(.ownerAlive(record(pid: 300, cdqid: 3))), "a running owner's queue is left alone")
            #expect(store.records(on: Self.controller) == [record(pid: 300, cdqid: 3)], "the cleaned records are gone")
        }
    }

    @Test func aQueueTheControllerNoLongerHasIsNeverDeletedThroughTheIoctl() throws {
        try withStore { store, _ in
            try store.write(record(pid: 100, cdqid: 1))
            let calls = Calls()
            calls.stopFails = true
            let outcomes = try OrphanCleanup(store: store, controller: Self.controller).run(calls.actions())
            #expect(calls.log == ["stop 1"])
            guard case .refused = outcomes.first else { Issue.record("\(outcomes)"); return }
        }
    }

    @Test func aForgedRecordIsRefused() throws {
        try withStore { store, tree in
            try store.write(record(pid: 100, cdqid: 1))
            // Another owner: the store expects root's records, the file is the test's.
            let asRoot = QueueRecordStore(root: store.root, owner: geteuid() == 0 ? 1 : 0)
            let calls = Calls()
            #expect(throws: (any Error).self, "a directory of another owner is not used at all") {
                _ = try OrphanCleanup(store: asRoot, controller: Self.controller).run(calls.actions())
            }
            // A record whose name and contents disagree, and one that is not a record.
            let forged = record(pid: 101, cdqid: 7)
            tree.file("run/\(record(pid: 101, cdqid: 8).fileName)", forged.text)
            tree.file("run/cdq-garbage", "pid=1\ncdqid=oops\n")
            for name in [record(pid: 101, cdqid: 8).fileName, "cdq-garbage"] { chmod(tree.path("run/\(name)"), 0o600) }
            let outcomes = try OrphanCleanup(store: store, controller: Self.controller).run(calls.actions())
            #expect(calls.log == ["stop 1", "ioctl-delete 1"], "only the sound record was acted on")
            #expect(outcomes.filter { if case .refused = $0 { true } else { false } }.count == 2)
        }
    }

    @Test func aSymlinkedRecordOrDirectoryIsRefused() throws {
        try withStore { store, tree in
            try store.write(record(pid: 100, cdqid: 1))
            let target = tree.file("elsewhere/record", record(pid: 102, cdqid: 9).text)
            symlink(target, tree.path("run/\(record(pid: 102, cdqid: 9).fileName)"))
            let calls = Calls()
            let outcomes = try OrphanCleanup(store: store, controller: Self.controller).run(calls.actions())
            #expect(calls.log == ["stop 1", "ioctl-delete 1"])
            #expect(outcomes.contains(.refused(name: record(pid: 102, cdqid: 9).fileName, reason: "a symlink, not a record")))
            symlink(store.root, tree.path("linked"))
            let linked = QueueRecordStore(root: tree.path("linked"), owner: geteuid())
            #expect(throws: (any Error).self) { _ = try linked.entries() }
        }
    }

    @Test func anAttachRefusedByTheControllerSaysHowToCleanUp() throws {
        try withStore { store, _ in
            try store.write(record(pid: 100, cdqid: 4))
            let hint = OrphanCleanup.hint(store: store, controller: Self.controller, cntlid: 1, device: "/dev/nvme0", isAlive: { _ in false })
            #expect(hint?.contains("CDQID 4 (process 100, gone)") == true)
            #expect(hint?.contains("cdqctl cleanup /dev/nvme0") == true)
            #expect(OrphanCleanup.hint(store: store, controller: Self.controller, cntlid: 1, device: "/dev/nvme0", isAlive: { _ in true }) == nil)
        }
    }
}
