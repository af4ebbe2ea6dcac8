import CDQKernel
import CDQNVMe


/// What `cdqctl migrate` checks about `--source` before anything is
/// created or written: that it is not read through the controller being
/// migrated, and the namespace's geometry from the source itself, checked
/// against Identify Namespace where the managing controller has the
/// namespace attached (docs/real-hardware.md, "Topology").
struct MigrationSource {
    let geometry: NamespaceGeometry

    init(managing path: String, nsid: UInt32, cntlid: UInt16, source: String, sysfs: SysfsTopology = SysfsTopology()) throws {
        let admin = try openAdmin(path)
        let measured = try SourceGeometry.read(source)
        let sourceControllers = measured.device.map { sysfs.controllers(ofBlockDevice: $0.major, $0.minor) } ?? []
        let managing = sysfs.controller(of: admin.device)
        try SourcePlacement.check(source: source, sourceControllers: sourceControllers, managing: managing, migratable: cntlid)
        let identified = try Self.identify(admin, nsid: nsid)
            ?? Self.identifyThroughSourceController(measured, sourceControllers, sysfs)
        geometry = try NamespaceGeometry.reconcile(source: measured, identified: identified)
    }

    /// When the managing controller does not have the namespace: Identify
    /// Namespace on the controller the source is read through (sysfs names
    /// it and the NSID there), which has it attached by definition.
    static func identifyThroughSourceController(
        _ source: SourceGeometry, _ controllers: [SysfsController], _ sysfs: SysfsTopology
    ) -> IdentifiedGeometry? {
        guard let device = source.device, let controller = controllers.first,
              let nsid = sysfs.namespaceID(ofBlockDevice: device.major, device.minor),
              let admin = try? openAdmin("/dev/\(controller.name)") else { return nil }
        return try? identify(admin, nsid: nsid)
    }

    /// Identify Namespace on the managing controller; nil when it does not
    /// have the namespace attached (an error status, or a size of zero).
    static func identify(_ admin: NVMePassthrough, nsid: UInt32) throws -> IdentifiedGeometry? {
        try withPageAligned(4096) { buffer in
            do { _ = try admin.execute(.identify(.namespace(nsid)), data: buffer) } catch {
                if (error as? PassthroughError)?.nvmeStatus != nil { return nil }
                throw error
            }
            guard let namespace = IdentifyNamespace(buffer: UnsafeRawBufferPointer(buffer)), namespace.nsze > 0,
                  let lbaSize = namespace.lbaDataSize else { return nil }
            return IdentifiedGeometry(blocks: namespace.nsze, lbaSize: Int(lbaSize), controller: admin.device.path)
        }
    }
}
