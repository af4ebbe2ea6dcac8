import CDQMigration
import CDQMigrationSimulator
import CDQTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Migrations to an NBD export served by a real `nbdkit`: on loopback, and
/// on a second network stack across a veth pair. Byte identity is checked
/// on the file the server serves, read directly, not through the engine.
@Suite(.serialized, .enabled(if: NBDServer.available, "nbdkit is not installed (scripts/deps.sh installs it)"))
struct NBDMigrationTests {
    static let bytes: UInt64 = 32 << 20

    /// A simulated namespace under 4 writers, migrated to the export
    /// `server` serves from `served`, verified through the destination, then
    /// compared with the served file.
    func migrateAndCompare(_ directory: TemporaryDirectory, served: String, server: NBDServer) throws {
        var setup = SimulatedMigrationSetup(namespaceBytes: Self.bytes, directory: directory.path)
        setup.writers = 4
        setup.writesPerSecond = 4000
        let migration = try SimulatedMigration(setup)
        var configuration = MigrationConfiguration()
        configuration.verify = true
        let report = try migration.migrate(to: server.uri, configuration: configuration)
        let writes = migration.writers.reduce(0) { $0 + $1.statistics.writes }

        #expect(report.destinationKind == .nbd)
        #expect(report.bulkBytes == Self.bytes)
        #expect(writes > 0 && report.loggedEntries > 0, "the writers wrote during the migration")
        #expect(report.verified == true)
        #expect(migration.controller.isSuspended)
        server.stop()
        #expect(sameContents(migration.sourcePath, served), "the served file is the namespace, byte for byte")
    }

    func servedFile(_ directory: TemporaryDirectory) -> String {
        let path = "\(directory.path)/served.img"
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        precondition(descriptor >= 0 && ftruncate(descriptor, off_t(Self.bytes)) == 0, "cannot create \(path)")
        close(descriptor)
        return path
    }

    @Test func aNamespaceMigratedToAnExportOnLoopbackIsTheServedFileByteForByte() throws {
        let directory = TemporaryDirectory()
        let served = servedFile(directory)
        let server = try NBDServer(serving: served, on: .tcp(address: "127.0.0.1", port: NBDServer.freePort(), namespace: nil))
        try migrateAndCompare(directory, served: served, server: server)
    }

    /// Two migrations from this host into one export would interleave: the
    /// second destination is refused, naming the holder, until the first
    /// one is closed. nbdkit itself takes any number of clients.
    @Test func aSecondMigrationIntoTheSameExportIsRefusedWhileTheFirstHoldsIt() throws {
        let directory = TemporaryDirectory()
        let server = try NBDServer(serving: servedFile(directory), on: .unixSocket("\(directory.path)/nbd.sock"))
        defer { server.stop() }
        var first: NBDDestination? = try NBDDestination(uri: server.uri, byteCount: Self.bytes)
        #expect {
            _ = try NBDDestination(uri: server.uri, byteCount: Self.bytes)
        } throws: { error in
            "\(error)".contains("the NBD export \(server.uri) is locked by process \(getpid())")
        }
        #expect(first != nil)
        first = nil
        _ = try NBDDestination(uri: server.uri, byteCount: Self.bytes)
    }

    /// Runs `body` with nbdkit serving a fresh file from a second network
    /// namespace ("another host"); where none can be made, says so and skips.
    func withServerOnAnotherHost(
        index: Int, for purpose: String, _ body: (NetworkNamespace, TemporaryDirectory, String, NBDServer) throws -> Void
    ) throws {
        let namespace: NetworkNamespace
        switch NetworkNamespace.create(index: index) {
        case .success(let made): namespace = made
        case .failure(let reason):
            print("SKIPPED: \(purpose) needs a network namespace, which cannot be created here: \(reason)")
            return
        }
        defer { namespace.remove() }
        let directory = TemporaryDirectory()
        let served = servedFile(directory)
        let server = try NBDServer(serving: served, on: .tcp(address: namespace.remoteAddress, port: 10809, namespace: namespace.name))
        defer { server.stop() }
        try body(namespace, directory, served, server)
    }

    @Test func aNamespaceMigratedToAnotherHostOverAVethPairIsTheServedFileByteForByte() throws {
        try withServerOnAnotherHost(index: 0, for: "the two-host NBD migration") { _, directory, served, server in
            try migrateAndCompare(directory, served: served, server: server)
        }
    }

    /// The server dies while the controller is suspended (the final copy
    /// and its flush): the controller resumes, logging stops, the queue goes.
    @Test func aServerLostWhileSuspendedResumesTheSource() throws {
        let directory = TemporaryDirectory()
        let served = servedFile(directory)
        let server = try NBDServer(serving: served, on: .unixSocket("\(directory.path)/nbd.sock"))
        var setup = SimulatedMigrationSetup(namespaceBytes: Self.bytes, directory: directory.path)
        setup.writers = 2
        setup.writesPerSecond = 2000
        let migration = try SimulatedMigration(setup)
        let controller = migration.controller
        #expect {
            _ = try migration.migrate(to: server.uri) { progress in
                if progress.phase == .suspended { server.stop() }
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .abandoned(.io(let place, _), let undone) = error else { return false }
            // The suspend already deleted the queue (DUDMQ clear): resuming is what is left to undo.
            return place.contains(server.uri) && undone == "controller 1 resumed"
        }
        #expect(!controller.isSuspended, "the source runs again")
        #expect(controller.queueSnapshot == nil, "the queue was deleted")
        #expect(migration.subsystem.queueIDs.isEmpty)
    }

    /// The far host vanishes during the bulk copy (its link goes down: no
    /// reset, no acknowledgements): the connection counts as lost once sent
    /// data stays unacknowledged past the bound, and the source is put back.
    @Test func aHostThatVanishesMidCopyFailsTheMigrationInsteadOfHangingIt() throws {
        try withServerOnAnotherHost(index: 1, for: "a vanishing host") { namespace, directory, _, server in
            try migrateUntilCutOff(namespace, directory, server)
        }
    }

    func migrateUntilCutOff(_ namespace: NetworkNamespace, _ directory: TemporaryDirectory, _ server: NBDServer) throws {
        var setup = SimulatedMigrationSetup(namespaceBytes: Self.bytes, directory: directory.path)
        setup.writers = 1
        setup.writesPerSecond = 1000
        let migration = try SimulatedMigration(setup)
        let destination = try NBDDestination(uri: server.uri, byteCount: Self.bytes, unacknowledgedMilliseconds: 1000)
        let migrator = try Migrator(controller: migration.source, sourcePath: migration.sourcePath, destination: destination,
                                    lbaSize: setup.lbaSize, capacity: migration.capacity)
        var cut = false
        #expect {
            _ = try migrator.run { progress in
                guard progress.phase == .bulk, !cut else { return }
                cut = true
                try? namespace.cutOff()
            }
        } throws: { error in
            guard let error = error as? MigrationError, case .abandoned(.io(let place, _), let undone) = error else { return false }
            return place.contains(server.uri) && undone.contains("logging stopped and the queue deleted")
        }
        #expect(cut)
        #expect(!migration.controller.isSuspended)
        #expect(migration.subsystem.queueIDs.isEmpty)
    }

    /// A host that never answers (its link is down before the connect) is
    /// an error once the connect timeout passes, not a hang.
    @Test func aHostThatNeverAnswersIsAnErrorAfterTheConnectTimeout() throws {
        try withServerOnAnotherHost(index: 2, for: "a host that never answers") { namespace, _, _, server in
            try namespace.cutOff()
            #expect {
                _ = try NBDDestination(uri: server.uri, byteCount: Self.bytes, connectTimeoutNanoseconds: 300_000_000)
            } throws: { error in
                "\(error)" == "cannot reach the NBD server of \(server.uri): no answer within 300 ms"
            }
        }
    }
}
