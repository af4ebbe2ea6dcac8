import CDQEngine
import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// An attached queue as the C API drives it, whatever controller it is on:
/// the simulator's (`SimulatedBackend`) or a real one through the kernel.
///
/// Each call is made with the queue's lock held, so one at a time. The
/// `...AndDetach` calls detach whatever happens, so nothing stays pinned to
/// memory the caller will free.
protocol QueueBackend: AnyObject {
    var handle: QueueHandle { get }
    var cdqid: UInt16 { get }
    var cntlid: UInt16 { get }
    var entryCount: UInt32 { get }
    /// Track Send start.
    func startLogging() throws(CAPIError)
    /// Track Send stop, wait until the engine delivered the LAST entry, detach.
    func stopLoggingAndDetach(timeoutNanoseconds: UInt64) throws(CAPIError)
    /// Migration Send suspend (DUDMQ), wait for the LAST entry, detach.
    func suspendAndDetach(timeoutNanoseconds: UInt64) throws(CAPIError)
    /// Unregister, delete the queue on the controller, free its memory.
    func detach()
}

/// Device queues (`/dev/nvmeN`): the kernel-backed queue of `CDQKernel`
/// slots in here once it exists; until then the C call reports that
/// honestly instead of pretending.
enum DeviceQueues {
    static func attach(
        engine: Engine, consumer: Consumer, path: String, cntlid: UInt16, entries: UInt32, startLogging: Bool
    ) throws(CAPIError) -> any QueueBackend {
        throw CAPIError(ENOTSUP, "device queues need CDQKernel.KernelQueue, which this build does not have (\(path))")
    }
}

extension QueueBackend {
    /// Runs `step` (which makes the controller post a LAST entry) and waits
    /// until the engine has delivered one more LAST entry for this queue.
    func afterLast(_ engine: Engine, _ what: String, timeoutNanoseconds: UInt64,
                   _ step: () -> NVMeStatus) throws(CAPIError) {
        let before = engine.statistics(of: handle)?.lastEntries ?? 0
        let status = step()
        guard status.isSuccess else { throw CAPIError(EIO, "\(what): \(status)") }
        let deadline = MonotonicClock.nanoseconds() &+ timeoutNanoseconds
        while (engine.statistics(of: handle)?.lastEntries ?? 0) <= before {
            guard MonotonicClock.nanoseconds() < deadline else {
                throw CAPIError(ETIMEDOUT, "\(what): the engine did not deliver the LAST entry within "
                    + "\(timeoutNanoseconds / 1_000_000) ms (is the consumer ring being drained?)")
            }
            MonotonicClock.sleep(nanoseconds: 200_000)
        }
    }
}
