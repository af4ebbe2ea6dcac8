/// An error that may stand for a refusal by the controller: an NVMe
/// status in a completion. Errors of every layer (passthrough, the RFC
/// ioctl, the engine's admin path, the queue lifecycle, a migration)
/// adopt it, so that a caller far from the command (the CLI's exit status
/// and JSON error, a control plane) reads the status as the controller
/// sent it instead of parsing a message.
public protocol CarriesNVMeStatus: Error {
    /// The controller's status when this error is its refusal; nil when
    /// the error came from anywhere else (the kernel, the host, a timeout).
    var nvmeStatus: NVMeStatus? { get }
}
