import CDQEngine
import CDQKernel

#if canImport(Glibc)
import Glibc
#endif

/// The errno each refusal of the engine and the queue lifecycle becomes
/// (the table in docs/c-api.md).
enum Errno {
    static func of(_ error: EngineError) -> CAPIError {
        switch error {
        case .tooManyQueues: CAPIError(ENOSPC, error.description)
        case .unknownQueue: CAPIError(ENOTCONN, error.description)
        case .consumerOfAnotherEngine: CAPIError(EXDEV, error.description)
        case .stopped: CAPIError(ESHUTDOWN, error.description)
        case .system(let system): CAPIError(system.errno, system.description)
        case .notRunToCompletion: CAPIError(EOPNOTSUPP, error.description + " (made by cdq_engine_create)")
        case .wrongThread: CAPIError(EPERM, error.description)
        case .insidePoll: CAPIError(EDEADLK, error.description)
        }
    }

    static func of(_ error: QueueLifecycleError) -> CAPIError {
        switch error {
        case .memory(.badEntryCount): CAPIError(EINVAL, error.description)
        case .memory(.map(_, let system)), .eventFD(let system): CAPIError(system.errno, error.description)
        case .create(_, let errno): CAPIError(errno, error.description)
        case .refused(_, let status) where status.matches(.invalidCommandOpcode): CAPIError(EOPNOTSUPP, error.description)
        case .refused: CAPIError(EIO, error.description)
        case .delete, .unknownQueue, .injected: CAPIError(EIO, error.description)
        case .engine(let engine): of(engine)
        case .admin(_, .system(let system)): CAPIError(system.errno, error.description)
        case .admin(_, .engineStopped): CAPIError(ESHUTDOWN, error.description)
        case .admin(_, .nvme): CAPIError(EIO, error.description)
        case .lastEntryMissing: CAPIError(ETIMEDOUT, error.description + " (is the consumer ring being drained?)")
        }
    }

    static func of(_ error: DeviceError) -> CAPIError {
        switch error {
        case .open(let path, let system): CAPIError(system.errno, "\(path): \(system)")
        case .notACharacterDevice, .notNVMe: CAPIError(ENODEV, error.description)
        }
    }
}

/// Runs a lifecycle step, keeping its meaning as an errno.
func lifecycle<T>(_ body: () throws(QueueLifecycleError) -> T) throws(CAPIError) -> T {
    do { return try body() } catch { throw Errno.of(error) }
}
