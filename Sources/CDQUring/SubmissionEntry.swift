import CCDQ

#if canImport(Glibc)
import Glibc
#endif

/// A zeroed submission queue entry handed out by `IOURing.nextSubmission()`.
///
/// Valid until the next `submit`; fill it with exactly one `prepare...`
/// call. Buffers and timespecs it points to must stay alive until the
/// matching completion arrives: the kernel reads them asynchronously.
public struct SubmissionEntry {
    public let sqe: UnsafeMutablePointer<io_uring_sqe>
    /// True for a 128-byte SQE (room for an 80-byte command).
    public let big: Bool

    /// Bytes available to a URING_CMD in a 128-byte SQE (from byte 48).
    public static let commandAreaSize = 80

    init(sqe: UnsafeMutablePointer<io_uring_sqe>, big: Bool) {
        self.sqe = sqe
        self.big = big
    }

    private func tag(_ userData: UserData) {
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// A no-op; completes with result 0. Useful to wake or test a ring.
    public func prepareNop(_ userData: UserData) {
        io_uring_prep_nop(sqe)
        tag(userData)
    }

    /// A multishot poll: one completion per readiness change until cancelled
    /// or until the kernel ends it (a completion without `hasMore`).
    public func preparePollMultishot(fd: Int32, events: UInt32 = UInt32(POLLIN), _ userData: UserData) {
        io_uring_prep_poll_multishot(sqe, fd, events)
        tag(userData)
    }

    /// A single-shot poll.
    public func preparePoll(fd: Int32, events: UInt32 = UInt32(POLLIN), _ userData: UserData) {
        io_uring_prep_poll_add(sqe, fd, events)
        tag(userData)
    }

    /// Reads into `buffer` at `offset` (-1: the file position).
    public func prepareRead(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64, _ userData: UserData) {
        io_uring_prep_read(sqe, fd, buffer.baseAddress, UInt32(buffer.count), offset)
        tag(userData)
    }

    /// Writes `buffer` at `offset` (-1: the file position).
    public func prepareWrite(fd: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64, _ userData: UserData) {
        io_uring_prep_write(sqe, fd, buffer.baseAddress, UInt32(buffer.count), offset)
        tag(userData)
    }

    /// A timeout that completes with `-ETIME` after `timespec`, or with 0
    /// once `count` other completions have arrived (0 = time only).
    public func prepareTimeout(_ timespec: UnsafeMutablePointer<__kernel_timespec>, count: UInt32 = 0, _ userData: UserData) {
        io_uring_prep_timeout(sqe, timespec, count, 0)
        tag(userData)
    }

    /// Moves the pending timeout whose user_data equals `target` to expire
    /// `timespec` from now (`IORING_TIMEOUT_UPDATE`; `-ENOENT` if it has
    /// already completed).
    public func prepareTimeoutUpdate(_ timespec: UnsafeMutablePointer<__kernel_timespec>, target: UserData, _ userData: UserData) {
        io_uring_prep_timeout_update(sqe, timespec, target.rawValue, 0)
        tag(userData)
    }

    /// Cancels the request whose user_data equals `target`.
    public func prepareCancel(_ target: UserData, _ userData: UserData) {
        io_uring_prep_cancel64(sqe, target.rawValue, 0)
        tag(userData)
    }

    /// `IORING_OP_URING_CMD`: a driver-defined command of up to 80 bytes,
    /// written by `fill` into the SQE's command area (zeroed beforehand).
    ///
    /// liburing 2.3 has no `io_uring_prep_uring_cmd`, and Swift cannot reach
    /// `sqe->cmd` (a flexible array), so the area is addressed at byte 48.
    public func prepareUringCommand(
        fd: Int32, commandOp: UInt32, _ userData: UserData,
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        precondition(big, "IORING_OP_URING_CMD with an 80-byte command needs a ring with bigEntries")
        sqe.pointee.opcode = UInt8(IORING_OP_URING_CMD.rawValue)
        sqe.pointee.fd = fd
        // cmd_op shares its storage with `off` in the kernel's union.
        sqe.pointee.off = UInt64(commandOp)
        tag(userData)
        let area = UnsafeMutableRawBufferPointer(
            start: UnsafeMutableRawPointer(sqe) + 48, count: SubmissionEntry.commandAreaSize)
        fill(area)
    }

    /// No CQE when the operation succeeds (`IOSQE_CQE_SKIP_SUCCESS`, Linux
    /// 5.17): for operations whose success needs no action, so they cost
    /// the loop no completion and no turn. Failures still complete.
    public func skipCompletionOnSuccess() {
        io_uring_sqe_set_flags(sqe, UInt32(sqe.pointee.flags) | cdq_sqe_flag_skip_success())
    }

    /// Sets SQE flags such as `IOSQE_IO_LINK` or `IOSQE_FIXED_FILE`.
    public func setFlags(_ flags: UInt32) {
        io_uring_sqe_set_flags(sqe, flags)
    }
}
