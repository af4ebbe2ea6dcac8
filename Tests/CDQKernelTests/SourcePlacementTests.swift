import CDQKernel
import CDQTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cdqctl migrate`'s checks of `--source`, on a sysfs tree of the test's
/// own: the controllers behind a block device, the refusal of a source
/// read through the controller being migrated, and the geometry.
@Suite struct SourcePlacementTests {
    /// Controllers nvme0 (CNTLID 0, managing), nvme1 (CNTLID 1) and nvme2
    /// (CNTLID 2) of one subsystem; nvme1n1 is a private namespace of
    /// nvme1; nvme0n2 a multipath namespace reached through nvme0 and nvme2;
    /// nvme3 (CNTLID 1) is in another subsystem with namespace nvme3n1.
    func topology() -> FileTree {
        let tree = FileTree("sysfs")
        for (name, cntlid, nqn) in [("nvme0", 0, "nqn.a"), ("nvme1", 1, "nqn.a"), ("nvme2", 2, "nqn.a"), ("nvme3", 1, "nqn.b")] {
            tree.file("devices/\(name)/cntlid", "\(cntlid)\n")
            tree.file("devices/\(name)/subsysnqn", "\(nqn)\n")
            tree.file("devices/\(name)/serial", "SERIAL-\(name)  \n")
        }
        tree.link("dev/char/242:0", to: "devices/nvme0")
        tree.link("devices/nvme1/nvme1n1/device", to: "devices/nvme1")
        tree.link("dev/block/259:1", to: "devices/nvme1/nvme1n1")
        tree.file("devices/nvme1/nvme1n1/nsid", "1\n")
        tree.link("devices/nvme3/nvme3n1/device", to: "devices/nvme3")
        tree.link("dev/block/259:3", to: "devices/nvme3/nvme3n1")
        tree.file("devices/subsys/subsysnqn", "nqn.a\n")
        tree.link("devices/subsys/nvme0n2/device", to: "devices/subsys")
        tree.link("devices/nvme0/nvme0c0n2/device", to: "devices/nvme0")
        tree.link("devices/nvme2/nvme2c2n2/device", to: "devices/nvme2")
        tree.link("devices/subsys/nvme0n2/multipath/nvme0c0n2", to: "devices/nvme0/nvme0c0n2")
        tree.link("devices/subsys/nvme0n2/multipath/nvme2c2n2", to: "devices/nvme2/nvme2c2n2")
        tree.link("dev/block/259:2", to: "devices/subsys/nvme0n2")
        return tree
    }

    @Test func sysfsNamesTheControllersBehindABlockDevice() {
        let tree = topology()
        let sysfs = SysfsTopology(root: tree.root)
        #expect(sysfs.controllers(ofBlockDevice: 259, 1) == [SysfsController(name: "nvme1", cntlid: 1, subsystemNQN: "nqn.a", serial: "SERIAL-nvme1")])
        #expect(sysfs.controllers(ofBlockDevice: 259, 2).map(\.cntlid) == [0, 2], "every path of a multipath namespace")
        #expect(sysfs.controllers(ofBlockDevice: 8, 0).isEmpty, "not an NVMe namespace")
        #expect(sysfs.controller(ofCharacterDevice: 242, 0)?.name == "nvme0")
        #expect(sysfs.namespaceID(ofBlockDevice: 259, 1) == 1)
        #expect(sysfs.namespaceID(ofBlockDevice: 8, 0) == nil)
    }

    @Test func aSourceReadThroughTheMigratableControllerIsRefused() {
        let tree = topology()
        let sysfs = SysfsTopology(root: tree.root)
        let managing = sysfs.controller(ofCharacterDevice: 242, 0)
        func check(_ minor: UInt, cntlid: UInt16) throws(PlacementError) {
            try SourcePlacement.check(source: "/dev/x", sourceControllers: sysfs.controllers(ofBlockDevice: 259, minor),
                                      managing: managing, migratable: cntlid)
        }
        #expect(throws: PlacementError.sourceOnMigratable("/dev/x", "nvme1", 1)) { try check(1, cntlid: 1) }
        #expect(throws: PlacementError.sourceOnMigratable("/dev/x", "nvme2", 2), "one path through it is enough to hang") {
            try check(2, cntlid: 2)
        }
        #expect(throws: Never.self, "the namespace through another controller") { try check(2, cntlid: 1) }
        #expect(throws: Never.self, "CNTLID 1 of another subsystem is another controller") { try check(3, cntlid: 1) }
        #expect(throws: PlacementError.managingIsMigratable("nvme0", 0), "a controller cannot be migrated through itself") {
            try check(1, cntlid: 0)
        }
        let message = PlacementError.sourceOnMigratable("/dev/nvme1n1", "nvme1", 1).description
        #expect(message.contains("reads through it stop"), "says why")
    }

    @Test func theGeometryComesFromTheSourceAndMustAgreeWithIdentify() throws {
        let device = SourceGeometry(path: "/dev/nvme1n1", bytes: 64 << 20, logicalBlockSize: 4096)
        let alone = try NamespaceGeometry.reconcile(source: device, identified: nil)
        #expect(alone.blocks == 16_384 && alone.lbaSize == 4096)
        let agreeing = IdentifiedGeometry(blocks: 16_384, lbaSize: 4096, controller: "/dev/nvme0")
        #expect(try NamespaceGeometry.reconcile(source: device, identified: agreeing).origin.contains("agreeing"))
        #expect(throws: GeometryError.self, "another block size") {
            try NamespaceGeometry.reconcile(source: device, identified: IdentifiedGeometry(blocks: 131_072, lbaSize: 512, controller: "c"))
        }
        #expect(throws: GeometryError.self, "another size: another namespace or a partition") {
            try NamespaceGeometry.reconcile(source: device, identified: IdentifiedGeometry(blocks: 16_383, lbaSize: 4096, controller: "c"))
        }
        let file = SourceGeometry(path: "/tmp/ns.img", bytes: 1 << 20, logicalBlockSize: nil)
        #expect(try NamespaceGeometry.reconcile(source: file, identified: nil).lbaSize == 512)
        #expect(throws: GeometryError.self) {
            try NamespaceGeometry.reconcile(source: SourceGeometry(path: "odd", bytes: 1000, logicalBlockSize: nil), identified: nil)
        }
    }

    @Test func aRegularFileSourceIsMeasured() throws {
        let tree = FileTree("source")
        let path = tree.file("ns.img", String(repeating: "x", count: 8192))
        #expect(try SourceGeometry.read(path) == SourceGeometry(path: path, bytes: 8192, logicalBlockSize: nil))
        #expect(throws: (any Error).self) { try SourceGeometry.read(tree.path("missing")) }
    }
}
