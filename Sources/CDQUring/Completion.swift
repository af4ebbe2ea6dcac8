import CCDQ

/// One completion queue entry, copied out of the ring.
///
/// With 32-byte CQEs (`IORING_SETUP_CQE32`) the second 16 bytes are the
/// "big CQE" words; for NVMe passthrough the first of them is completion
/// DW0 (and DW1 in its upper half), which is how Create CDQ returns its CDQID.
public struct Completion: Sendable {
    public let userData: UInt64
    /// `cqe->res`: a byte count, 0, a positive NVMe status, or `-errno`.
    public let result: Int32
    public let flags: UInt32
    /// The two extra 64-bit words of a 32-byte CQE (zero for 16-byte CQEs).
    public let extra0: UInt64
    public let extra1: UInt64

    init(_ cqe: UnsafeMutablePointer<io_uring_cqe>, big: Bool) {
        userData = cqe.pointee.user_data
        result = cqe.pointee.res
        flags = cqe.pointee.flags
        if big {
            // big_cqe[] is a flexible array member Swift cannot see: it starts at byte 16.
            let raw = UnsafeRawPointer(cqe)
            extra0 = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            extra1 = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        } else {
            extra0 = 0
            extra1 = 0
        }
    }

    public init(userData: UInt64, result: Int32, flags: UInt32 = 0, extra0: UInt64 = 0, extra1: UInt64 = 0) {
        self.userData = userData
        self.result = result
        self.flags = flags
        self.extra0 = extra0
        self.extra1 = extra1
    }

    /// The tag the submitter put in `user_data`.
    public var tag: UserData { UserData(rawValue: userData) }

    /// A multishot request (poll) will post more completions. When absent on
    /// a multishot completion, the request has ended and must be re-armed.
    public var hasMore: Bool { flags & UInt32(IORING_CQE_F_MORE) != 0 }
}
