import CDQEngine
import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Whether a host can run CDQs, found out without changing anything that
/// is not the probe's own: for tools that must adapt to where they run
/// (`cdq-kernel-selftest`) instead of assuming a stock or an RFC kernel.
public enum CDQSupportProbe {
    /// A CDQID no queue has: probes and checks use it, so they can never
    /// stop or move the head of somebody's real queue.
    public static let unusedCDQID: UInt16 = 0xFFFF

    /// `trackSendStop` sends Track Send stop for `unusedCDQID`, which
    /// changes nothing; only a controller without CDQs answers Invalid
    /// Command Opcode. Errors that are not an NVMe status are rethrown.
    public static func controllerHasCDQs(trackSendStop: () throws(PassthroughError) -> Void) throws(PassthroughError) -> Bool {
        do { try trackSendStop() } catch {
            guard case .nvme(let status) = error else { throw error }
            return !status.matches(.invalidCommandOpcode)
        }
        return true
    }

    /// Whether the kernel has `NVME_IOCTL_CDQ`: ENOTTY (before anything
    /// reaches the controller) means no. With the RFC the probe may create
    /// a real queue for `cntlid`; it is deleted through `backend` before
    /// its memory is given back, and if that delete fails the memory is
    /// kept for good rather than freed under a controller that may write.
    public static func kernelHasCDQIoctl(_ backend: KernelQueueBackend, cntlid: UInt16) throws(QueueLifecycleError) -> Bool {
        let memory: QueueMemory
        do { memory = try QueueMemory.allocate(backend.memoryPolicy(entries: 128)) } catch { throw .memory(error) }
        let event: EventFD
        do { event = try EventFD() } catch { throw .eventFD(error) }
        let cdqid: UInt16
        do { cdqid = try backend.createQueue(memory: memory, cntlid: cntlid, eventFD: event) } catch {
            switch error {
            case .create(_, let errno) where errno == ENOTTY: return false
            case .refused: return true
            default: throw error
            }
        }
        do { try backend.deleteQueue(cdqid) } catch {
            KeptMemory.keep(memory)
            throw error
        }
        return true
    }
}

/// Queue memory a controller may still write into (its queue could not be
/// deleted): never given back, a leak being better than DMA into freed memory.
public enum KeptMemory {
    private static let kept = Locked<[QueueMemory]>([])
    public static func keep(_ memory: QueueMemory) { kept.withLock { $0.append(memory) } }
}
