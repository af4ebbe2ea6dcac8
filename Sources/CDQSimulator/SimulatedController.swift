import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// A migratable controller of the simulated subsystem: the controller a
/// guest uses, whose changes the host migrates. Its writes change the
/// namespace's data and, while logging is on, post one entry each into its
/// user data migration queue (one such queue per migratable controller, §6).
///
/// Thread-safe: guest threads call the I/O path while the managing
/// controller's admin commands change the queue; one lock covers both, so
/// an entry is never posted into a queue that is being deleted.
public final class SimulatedController: IOTarget, @unchecked Sendable {
    // @unchecked: all mutable state is inside `state` (a Mutex); the
    // namespaces and faults are themselves thread-safe.

    public let cntlid: UInt16
    public let namespaces: [SimulatedNamespace]
    let faults: FaultKnobs

    struct State {
        var suspended = false
        var queue: QueueProducer?
        /// Writes accepted while logging was on that no entry carries: the
        /// one the ESA 7 entry replaced and every one while the queue was full.
        var lostChanges: UInt64 = 0
        var writes: UInt64 = 0
    }
    let state = Locked(State())

    init(cntlid: UInt16, namespaces: [SimulatedNamespace], faults: FaultKnobs) {
        self.cntlid = cntlid
        self.namespaces = namespaces
        self.faults = faults
    }

    public func namespace(_ nsid: UInt32) -> SimulatedNamespace? {
        namespaces.first { $0.nsid == nsid }
    }

    /// The controller's view of its queue now, or nil without a queue. For
    /// tests and tools (the host learns these only through entries and
    /// Get Features).
    public var queueSnapshot: QueueSnapshot? {
        state.withLock { state in
            state.queue.map {
                QueueSnapshot(cdqid: $0.cdqid, head: $0.head, tail: $0.tail, entryCount: $0.entryCount,
                              logging: $0.logging, full: $0.full, triggerArmed: $0.triggerArmed, triggerIndex: $0.triggerIndex)
            }
        }
    }

    /// Changes accepted while logging was on that no entry carries: the one
    /// the ESA 7 entry replaced and every one while the queue was full (the
    /// host never saw them; the ESA 7 entry told it so).
    public var lostChanges: UInt64 { state.withLock { $0.lostChanges } }

    /// True while Migration Send has the controller suspended.
    public var isSuspended: Bool { state.withLock { $0.suspended } }

    // MARK: I/O path

    public func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        change(nsid: nsid, startingLBA: startingLBA, blockCount: blockCount, deallocated: false) { namespace in
            namespace.write(startingLBA: startingLBA, blockCount: blockCount, data: data)
        }
    }

    public func writeZeroes(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        change(nsid: nsid, startingLBA: startingLBA, blockCount: blockCount, deallocated: false) { namespace in
            namespace.writeZeroes(startingLBA: startingLBA, blockCount: blockCount)
        }
    }

    public func deallocate(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        change(nsid: nsid, startingLBA: startingLBA, blockCount: blockCount, deallocated: true) { namespace in
            namespace.deallocate(startingLBA: startingLBA, blockCount: blockCount)
        }
    }

    public func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus {
        guard let namespace = namespace(nsid) else { return .invalidNamespaceOrFormat }
        return namespace.read(startingLBA: startingLBA, blockCount: blockCount, into: buffer)
    }

    /// Applies a change to the data, then logs it.
    ///
    /// Data first, entry second, both under the lock: when the host sees the
    /// entry, the data it names is already changed (the copy engine reads it
    /// next), and a suspend cannot slip between the two.
    private func change(
        nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, deallocated: Bool,
        apply: (SimulatedNamespace) -> NVMeStatus
    ) -> NVMeStatus {
        guard let namespace = namespace(nsid) else { return .invalidNamespaceOrFormat }
        let outcome: ChangeOutcome = state.withLock { state in
            guard !state.suspended else { return .rejected(.controllerSuspended) }
            let status = apply(namespace)
            guard status.isSuccess else { return .rejected(status) }
            state.writes &+= 1
            guard state.queue?.logging == true else { return .applied(signal: nil) }
            let entry = MigrationQueueEntry(
                nsid: nsid, numberOfLogicalBlocks: blockCount - 1, startingLBA: startingLBA,
                phaseTag: false, deallocated: deallocated)
            let result = state.queue!.post(entry)
            // Not posted (the queue was full) or replaced by the ESA 7 entry: no entry carries it.
            if !result.posted || result.replaced { state.lostChanges &+= 1 }
            return .applied(signal: result.signal ? state.queue!.eventFD : nil)
        }
        switch outcome {
        case .rejected(let status):
            return status
        case .applied(let signal):
            if let signal { faults.deliverTrigger(eventFD: signal) }
            return .success
        }
    }

    /// What happened under the lock; the eventfd is signalled after it is released.
    private enum ChangeOutcome {
        case rejected(NVMeStatus)
        case applied(signal: EventFD?)
    }
}

/// A migratable controller's queue as the controller sees it.
public struct QueueSnapshot: Sendable, Equatable {
    public var cdqid: UInt16
    public var head: UInt32
    public var tail: UInt32
    public var entryCount: UInt32
    public var logging: Bool
    public var full: Bool
    public var triggerArmed: Bool
    public var triggerIndex: UInt32

    /// Entries posted and not yet handed back.
    public var outstanding: UInt32 { (tail &+ entryCount &- head) % entryCount }
}
