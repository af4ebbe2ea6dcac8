/// Why a final copy taken from a controller that did not stay suspended
/// is no migration (cdq-protocol.md §6b): reads through a suspended
/// controller hang until the kernel times them out and resets the
/// controller, and the reset resumes it, so the guest's writes may reach
/// the source while it is being copied "frozen".
enum SuspendedSnapshot {
    static func notSuspended(when: String) -> String {
        "the controller is no longer suspended \(when) (Migration Receive says so): writes may have reached the source "
            + "while it was copied, so the destination is not a consistent copy. A read through the suspended controller "
            + "that times out makes the kernel reset it, which resumes it: read the source through another controller "
            + "(docs/real-hardware.md)"
    }

    /// Added to a read or write failure of the final copy: on a real device
    /// the usual cause is a source read through the suspended controller
    /// that timed out.
    static let whileSuspended = " while the controller was suspended (a read through a suspended controller hangs until "
        + "the kernel times it out: --source must reach the namespace through another controller)"
}
