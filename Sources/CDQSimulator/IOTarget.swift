import CDQNVMe

/// The I/O path of a simulated migratable controller, callable from any
/// thread: what a guest's writes look like to the controller.
///
/// Every call returns the NVMe status the command would complete with
/// (`.success`, `LBA Out of Range`, `Invalid Namespace or Format`, ...),
/// never traps. Writes change the namespace's data and are logged into the
/// controller's user data migration queue when logging is on.
public protocol IOTarget: AnyObject, Sendable {
    /// Writes `blockCount` blocks at `startingLBA`. `data` must hold
    /// `blockCount * lbaSize` bytes, or be nil for a namespace that does not
    /// store data (`NamespaceBacking.discard`, for benchmarks of the logging path).
    func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus
    /// Write Zeroes: the range reads back as zeroes and is logged as changed.
    func writeZeroes(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus
    /// Dataset Management deallocate of one range: reads back as zeroes,
    /// logged with the deallocated bit set.
    func deallocate(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus
    /// Reads `blockCount` blocks into `buffer` (at least `blockCount * lbaSize` bytes).
    func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus
}
