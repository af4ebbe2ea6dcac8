import CCDQ

#if canImport(Glibc)
import Glibc
#endif

/// An io_uring instance owned by one thread.
///
/// Not `Sendable` on purpose: with `SINGLE_ISSUER` the kernel itself refuses
/// submissions from a second thread (`EEXIST`), and the engine's design is
/// that one thread owns the ring. Create it on the thread that will use it.
///
/// Needs Linux 5.19 for 128-byte SQEs and 32-byte CQEs (`bigEntries`), 6.0
/// for NVMe `IORING_OP_URING_CMD`, 6.1 for the best mode (see `RingMode`).
public final class IOURing {
    /// liburing's ring state; must not move, so it lives in its own allocation.
    @usableFromInline let ring: UnsafeMutablePointer<io_uring>
    /// The flags the kernel accepted.
    public let setupFlags: UInt32
    /// The mode chosen by probing.
    public let mode: RingMode
    /// True when SQEs are 128 bytes and CQEs 32 bytes.
    public let bigEntries: Bool

    /// Creates a ring, trying `configuration.modes` in order.
    ///
    /// Fails only if no mode is accepted; the error is the last mode's, since
    /// that is the least demanding one and the one a user must fix.
    public init(_ configuration: RingConfiguration = RingConfiguration()) throws(SystemError) {
        precondition(!configuration.modes.isEmpty, "RingConfiguration.modes must not be empty")
        let base = configuration.bigEntries
            ? UInt32(IORING_SETUP_SQE128) | UInt32(IORING_SETUP_CQE32) : 0
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        var lastError: Int32 = 0
        for mode in configuration.modes {
            ring.initialize(to: io_uring())
            var params = io_uring_params()
            params.flags = base | mode.flags
            let result = io_uring_queue_init_params(configuration.entries, ring, &params)
            if result == 0 {
                self.ring = ring
                self.setupFlags = params.flags
                self.mode = mode
                self.bigEntries = configuration.bigEntries
                return
            }
            lastError = result
        }
        ring.deallocate()
        throw SystemError("io_uring_queue_init", negatedErrno: lastError)
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// The ring's file descriptor (for diagnostics; do not close it).
    public var fileDescriptor: Int32 { ring.pointee.ring_fd }

    /// Submission queue capacity as granted by the kernel.
    public var submissionCapacity: Int { Int(ring.pointee.sq.ring_entries) }

    /// Completion queue capacity as granted by the kernel.
    public var completionCapacity: Int { Int(ring.pointee.cq.ring_entries) }

    /// A zeroed SQE to fill; flushes the SQ to the kernel once if it is full.
    ///
    /// Zeroing all of it (128 bytes with `bigEntries`) matters: liburing's
    /// prep helpers leave the command area alone, and a URING_CMD reads it.
    public func nextSubmission() throws(SystemError) -> SubmissionEntry {
        var sqe = io_uring_get_sqe(ring)
        if sqe == nil {
            _ = try submit()
            sqe = io_uring_get_sqe(ring)
        }
        guard let sqe else { throw SystemError("io_uring_get_sqe", errno: EBUSY) }
        let raw = UnsafeMutableRawPointer(sqe)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bigEntries ? 128 : 64)
        return SubmissionEntry(sqe: sqe, big: bigEntries)
    }

    /// Hands every prepared SQE to the kernel; returns how many were taken.
    @discardableResult
    public func submit() throws(SystemError) -> Int {
        let result = io_uring_submit(ring)
        if result < 0 { throw SystemError("io_uring_submit", negatedErrno: result) }
        return Int(result)
    }

    /// Submits and blocks until at least `minimum` completions are available.
    ///
    /// `EINTR` (a signal arrived) returns normally: the caller re-checks its
    /// completions and its own stop conditions, then waits again.
    public func submitAndWait(minimum: Int) throws(SystemError) {
        let result = io_uring_submit_and_wait(ring, UInt32(minimum))
        if result < 0 && result != -EINTR {
            throw SystemError("io_uring_submit_and_wait", negatedErrno: result)
        }
    }

    /// Submits and waits for one completion or until `nanoseconds` pass.
    ///
    /// Returns false on timeout. Uses the kernel's EXT_ARG timeout, so no
    /// timeout SQE and no extra CQE are produced.
    public func submitAndWait(timeoutNanoseconds nanoseconds: Int64) throws(SystemError) -> Bool {
        var ts = __kernel_timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        let result = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nil)
        if result == -ETIME || result == -EINTR { return false }
        if result < 0 { throw SystemError("io_uring_submit_and_wait_timeout", negatedErrno: result) }
        return true
    }

    /// Submits and makes the completions that are ready visible, without
    /// waiting: one `io_uring_enter`. A wait with a zero timeout would arm
    /// and cancel a kernel timer for nothing (in `perf`, the largest kernel
    /// cost of a run-to-completion loop that handed out records every turn).
    public func submitAndGetEvents() throws(SystemError) {
        let result = io_uring_submit_and_get_events(ring)
        if result < 0 && result != -EINTR && result != -EAGAIN {
            throw SystemError("io_uring_submit_and_get_events", negatedErrno: result)
        }
    }

    /// Runs deferred completion work without waiting (needed in DEFER_TASKRUN
    /// mode before a peek can see anything).
    public func flushDeferredCompletions() throws(SystemError) {
        guard mode.needsEnterToReap else { return }
        let result = io_uring_get_events(ring)
        if result < 0 && result != -EINTR && result != -EAGAIN {
            throw SystemError("io_uring_get_events", negatedErrno: result)
        }
    }

    /// Number of completions ready to be read right now.
    public var readyCompletions: Int {
        Int(io_uring_cq_ready(ring))
    }

    /// Calls `body` for each ready completion, in order, then releases them
    /// to the kernel in one store. Returns how many were handled.
    ///
    /// liburing's `io_uring_for_each_cqe` is a macro Swift cannot import, so
    /// the CQ is walked here: with 32-byte CQEs each slot is two CQE widths.
    @discardableResult
    public func forEachCompletion(_ body: (Completion) throws -> Void) rethrows -> Int {
        let cq = ring.pointee.cq
        let shift: UInt32 = bigEntries ? 1 : 0
        // io_uring_cq_ready loads the tail with acquire ordering: the
        // kernel's CQE stores are visible before we read the entries.
        let ready = io_uring_cq_ready(ring)
        var head = cq.khead.pointee
        var handled = 0
        defer { io_uring_cq_advance(ring, UInt32(handled)) }
        while handled < ready {
            let slot = (head & cq.ring_mask) << shift
            try body(Completion(cq.cqes + Int(slot), big: bigEntries))
            head &+= 1
            handled += 1
        }
        return handled
    }
}
