import CDQEngine
import CDQKernel

#if canImport(Glibc)
import Glibc
#endif

/// Queues on a real controller (`/dev/nvmeN`, a kernel with the CDQ RFC).
enum DeviceQueues {
    /// The backend `engine` uses for the controller at `path`.
    ///
    /// The device is opened once here first, so that an error opening it
    /// keeps its errno (-ENOENT, -EACCES) and a device that is not an NVMe
    /// controller is -ENODEV; the backend itself reports only text.
    static func backend(for engine: CEngine, path: String) throws(CAPIError) -> KernelQueueBackend {
        if let existing = engine.devices.withLock({ $0[path] }) { return existing }
        do {
            let device = try NVMeCharacterDevice(path: path)
            guard device.kind == .controller else {
                throw CAPIError(ENODEV, "\(path) is not an NVMe controller device (/dev/nvmeN): CDQs live on controllers")
            }
        } catch let error as DeviceError {
            throw Errno.of(error)
        } catch let error as CAPIError {
            throw error
        } catch {
            throw CAPIError(EIO, "\(path): \(error)")
        }
        let backend = try lifecycle { () throws(QueueLifecycleError) in try KernelQueueBackend(path: path) }
        return engine.devices.withLock { devices in
            if let raced = devices[path] { return raced }
            devices[path] = backend
            return backend
        }
    }
}
