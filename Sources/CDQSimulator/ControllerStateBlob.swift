import CDQNVMe

/// The state a suspended migratable controller hands out through Migration
/// Receive. Little endian:
///
/// | bytes | field |
/// |---|---|
/// | 0-1 | version (1) |
/// | 2 | csattr: bit 0 = suspended (`ControllerStateHeader`) |
/// | 3 | reserved |
/// | 4-5 | CNTLID |
/// | 6-7 | number of namespaces |
/// | 8-15 | writes completed |
/// | 16-23 | changes lost to a full queue |
/// | 24... | per namespace: NSID (4), LBA size (4), capacity in LBAs (8) |
///
/// Only the header is the protocol's (cdq-protocol.md §1); the rest is the
/// simulator's own, enough for a destination to check what it received.
struct ControllerStateBlob {
    let bytes: [UInt8]

    /// Nil unless the controller is suspended: a running controller's state
    /// is not stable, which the spec answers with Controller Not Suspended.
    init?(_ controller: SimulatedController) {
        let snapshot: SimulatedController.State? = controller.state.withLock { $0.suspended ? $0 : nil }
        guard let snapshot else { return nil }
        var bytes = [UInt8](repeating: 0, count: 24 + 16 * controller.namespaces.count)
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            ControllerStateHeader(version: 1, attributes: 1).write(to: base)
            LittleEndian.store(controller.cntlid, to: base, offset: 4)
            LittleEndian.store(UInt16(controller.namespaces.count), to: base, offset: 6)
            LittleEndian.store(snapshot.writes, to: base, offset: 8)
            LittleEndian.store(snapshot.lostChanges, to: base, offset: 16)
            for (i, namespace) in controller.namespaces.enumerated() {
                let at = 24 + 16 * i
                LittleEndian.store(namespace.nsid, to: base, offset: at)
                LittleEndian.store(UInt32(namespace.lbaSize), to: base, offset: at + 4)
                LittleEndian.store(namespace.capacity, to: base, offset: at + 8)
            }
        }
        self.bytes = bytes
    }
}
