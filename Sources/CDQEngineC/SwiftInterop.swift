import CDQEngine

/// For programs that are part Swift and part C: the Swift object behind a
/// C handle, so a Swift host can feed or inspect what it hands to C code
/// (and the benchmarks can compare the two interfaces on one ring).
public enum CHandleObjects {
    /// The consumer behind a live `cdq_consumer` handle, nil otherwise.
    public static func consumer(_ handle: OpaquePointer?) -> Consumer? {
        try? Handles.consumers.object(handle).consumer
    }
}
