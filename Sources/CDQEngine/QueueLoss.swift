import CDQNVMe

/// Why the engine stopped touching a queue it still holds: the controller
/// behind it went away or stopped answering. Carried in a `.queueLost`
/// record's `detail`, so the values are the C API's `CDQ_LOSS_*`.
///
/// After a loss the engine neither reads the queue nor sends it head
/// updates; the queue stays registered until its owner unregisters it. The
/// owner must not reuse the memory while the controller may still write it
/// (see `AttachedQueue.detach()` and docs/engine.md).
public enum QueueLoss: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A head update was answered with Invalid Controller Data Queue: the
    /// controller no longer knows the CDQID (deleted behind the engine's
    /// back, or forgotten in a controller reset).
    case unknownToController = 1
    /// The kernel answered a head update with ENODEV or EIO: the device
    /// was removed or is being reset.
    case deviceGone = 2
    /// A head update did not complete within
    /// `EngineConfiguration.adminTimeoutNanoseconds`; it was cancelled.
    case adminTimeout = 3

    /// The loss a head update's completion means, if any: Invalid
    /// Controller Data Queue (DNR or not), or ENODEV / EIO from the kernel.
    /// Any other failure is an error to retry, not a loss.
    static func of(status: NVMeStatus) -> QueueLoss? {
        status.codeType == NVMeStatus.invalidControllerDataQueue.codeType
            && status.code == NVMeStatus.invalidControllerDataQueue.code ? .unknownToController : nil
    }

    static func of(negatedErrno result: Int32) -> QueueLoss? {
        result == -19 /* ENODEV */ || result == -5 /* EIO */ ? .deviceGone : nil
    }

    public var name: String {
        switch self {
        case .unknownToController: "unknown_to_controller"
        case .deviceGone: "device_gone"
        case .adminTimeout: "admin_timeout"
        }
    }

    public var description: String {
        switch self {
        case .unknownToController: "the controller no longer knows the queue (Invalid Controller Data Queue: deleted or reset)"
        case .deviceGone: "the device is gone (ENODEV or EIO from the kernel)"
        case .adminTimeout: "a head update did not complete in time (cancelled)"
        }
    }
}

/// What `Engine`'s `onQueueProblem` callback is told.
public enum QueueProblem: Sendable, Equatable, CustomStringConvertible {
    /// An entry was delivered as a `.problem` record.
    case entry(RecordProblem, MigrationQueueEntry)
    /// The queue was lost; a `.queueLost` record was delivered.
    case lost(QueueLoss)

    public var description: String {
        switch self {
        case .entry(let problem, let entry):
            "\(problem): NSID \(entry.nsid), SLBA \(entry.startingLBA), NLB \(entry.numberOfLogicalBlocks), attributes 0x\(String(entry.attributes, radix: 16))"
        case .lost(let loss): "queue lost: \(loss)"
        }
    }
}
