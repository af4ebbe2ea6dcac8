import Logging

/// Who a queue is, for people reading logs and dashboards: its CDQID, and
/// where known its migratable controller and device. The same three names
/// serve as log metadata and as metric dimensions.
public struct QueueLabels: Sendable, Equatable {
    public var cdqid: UInt16
    public var cntlid: UInt16?
    /// "/dev/nvme0", "simulator".
    public var device: String?

    public init(cdqid: UInt16, cntlid: UInt16? = nil, device: String? = nil) {
        self.cdqid = cdqid
        self.cntlid = cntlid
        self.device = device
    }

    /// The pairs present, in a fixed order.
    public var pairs: [(String, String)] {
        var pairs = [("cdqid", String(cdqid))]
        if let cntlid { pairs.append(("cntlid", String(cntlid))) }
        if let device { pairs.append(("device", device)) }
        return pairs
    }

    public var metadata: Logger.Metadata {
        Logger.Metadata(uniqueKeysWithValues: pairs.map { ($0.0, .string($0.1)) })
    }
}
