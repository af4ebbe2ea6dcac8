/// Which controller a queue record belongs to: what Identify Controller
/// says (serial number, CNTLID), so a record is never applied to another
/// controller that got the same `/dev/nvmeN` name after a reboot or a
/// hot-plug.
public struct ControllerIdentity: Sendable, Hashable, CustomStringConvertible {
    public var serial: String
    public var cntlid: UInt16

    public init(serial: String, cntlid: UInt16) {
        self.serial = serial
        self.cntlid = cntlid
    }

    public var description: String { "serial \(serial), CNTLID \(cntlid)" }
}

/// One CDQ this project created on a controller, written down while the
/// queue exists (`QueueRecordStore`). The RFC kernel does no cleanup when
/// the creating process dies (cdq-protocol.md §6b): the queue, its pinned
/// pages and the kernel's entry stay. The record is what lets a later
/// `cdqctl cleanup` find such a queue and delete it the right way.
public struct QueueRecord: Sendable, Hashable {
    /// The process that owns the queue.
    public var pid: Int32
    public var cdqid: UInt16
    /// The migratable controller whose changes the queue logs.
    public var cntlid: UInt16
    /// Created through `NVME_IOCTL_CDQ`: only such a queue may be deleted
    /// through the ioctl (for any other id the RFC kernel dereferences NULL).
    public var createdThroughIoctl: Bool
    /// The managing controller the queue lives on.
    public var controller: ControllerIdentity
    /// `/dev/nvmeN` when it was created, for messages only.
    public var device: String

    public init(pid: Int32, cdqid: UInt16, cntlid: UInt16, createdThroughIoctl: Bool, controller: ControllerIdentity, device: String) {
        self.pid = pid
        self.cdqid = cdqid
        self.cntlid = cntlid
        self.createdThroughIoctl = createdThroughIoctl
        self.controller = controller
        self.device = device
    }

    /// The file name: one record per CDQID of a controller.
    public var fileName: String {
        "cdq-\(Self.safe(controller.serial))-\(controller.cntlid)-\(cdqid)"
    }

    /// `key=value` lines: plain text a person can read in an emergency.
    public var text: String {
        """
        pid=\(pid)
        cdqid=\(cdqid)
        cntlid=\(cntlid)
        ioctl=\(createdThroughIoctl ? 1 : 0)
        serial=\(controller.serial)
        controller_cntlid=\(controller.cntlid)
        device=\(device)

        """
    }

    /// Parses `text`; nil unless every field is present and well formed
    /// (a damaged record is never acted on).
    public init?(text: String) {
        var fields: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            guard fields.updateValue(line[line.index(after: equals)...], forKey: line[..<equals]) == nil else { return nil }
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }), pid > 0,
              let cdqid = fields["cdqid"].flatMap({ UInt16($0) }),
              let cntlid = fields["cntlid"].flatMap({ UInt16($0) }),
              let ioctl = fields["ioctl"], ioctl == "0" || ioctl == "1",
              let serial = fields["serial"], !serial.isEmpty,
              let controllerID = fields["controller_cntlid"].flatMap({ UInt16($0) }),
              let device = fields["device"] else { return nil }
        self.init(pid: pid, cdqid: cdqid, cntlid: cntlid, createdThroughIoctl: ioctl == "1",
                  controller: ControllerIdentity(serial: String(serial), cntlid: controllerID), device: String(device))
    }

    /// Letters, digits, `.` and `_` of a serial number; anything else as `_`.
    static func safe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") ? $0 : "_" })
    }
}
