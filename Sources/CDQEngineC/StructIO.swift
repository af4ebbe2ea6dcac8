import CCDQEngine

#if canImport(Glibc)
import Glibc
#endif

/// The compatibility rule for structs crossing the C boundary: each begins
/// with `uint32_t size`, which the caller sets to sizeof(the struct) as its
/// header declares it.
///
/// A version that appends fields keeps accepting the older sizes
/// (`oldestSize`, the size the first header with the struct declared):
/// missing inputs take their defaults, outputs are cut short. Appended so
/// far (0.4): `cdq_engine_config.delivery_budget_ns` (from 40 bytes). A
/// struct embedded in another (`cdq_queue_stats` in the engine's
/// statistics) never grows: that would move the fields after it.
/// A caller built against a newer header may pass a larger struct: inputs
/// are accepted when the fields this library does not know are zero, and
/// outputs fill the known part, zero the rest, and set `size` to what was
/// filled.
enum StructIO {
    /// Far beyond any struct of this API: a larger size is garbage, not a
    /// newer header, and reading that far would overrun the caller's memory.
    static let largestPlausibleSize = 4096

    /// Reads the caller's struct over `defaults`.
    static func read<T>(_ pointer: UnsafeRawPointer?, over defaults: T, name: String, oldestSize: Int? = nil) throws(CAPIError) -> T {
        guard let pointer else { throw CAPIError(EINVAL, "\(name) is NULL") }
        let size = try checkedSize(pointer, of: T.self, name: name, oldestSize: oldestSize)
        let known = MemoryLayout<T>.size
        for offset in known..<max(known, size) where pointer.load(fromByteOffset: offset, as: UInt8.self) != 0 {
            throw CAPIError(E2BIG, "\(name) is \(size) bytes with nonzero fields after byte \(known), which this library (\(Version.string)) does not know")
        }
        var value = defaults
        let given = min(known, size)
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: given)) }
        // The caller's `size` is its own; the value read is this library's struct.
        withUnsafeMutableBytes(of: &value) { $0.storeBytes(of: UInt32(known), as: UInt32.self) }
        return value
    }

    /// Writes `value` into the caller's struct; the caller's `size` says how much room it has.
    static func write<T>(_ value: T, to pointer: UnsafeMutableRawPointer?, name: String, oldestSize: Int? = nil) throws(CAPIError) {
        guard let pointer else { throw CAPIError(EINVAL, "\(name) is NULL") }
        let size = try checkedSize(UnsafeRawPointer(pointer), of: T.self, name: name, oldestSize: oldestSize)
        let known = MemoryLayout<T>.size
        let filled = min(known, size)
        withUnsafeBytes(of: value) { pointer.copyMemory(from: $0.baseAddress!, byteCount: filled) }
        if size > known { (pointer + known).initializeMemory(as: UInt8.self, repeating: 0, count: size - known) }
        pointer.storeBytes(of: UInt32(filled), as: UInt32.self)
    }

    private static func checkedSize<T>(_ pointer: UnsafeRawPointer, of: T.Type, name: String, oldestSize: Int?) throws(CAPIError) -> Int {
        let size = Int(pointer.loadUnaligned(as: UInt32.self))
        let needed = oldestSize ?? MemoryLayout<T>.size
        guard size >= needed else {
            throw CAPIError(EINVAL, "\(name).size is \(size), this library needs at least \(needed): set it to sizeof(\(name))")
        }
        guard size <= largestPlausibleSize else {
            throw CAPIError(EINVAL, "\(name).size is \(size), not a plausible size: set it to sizeof(\(name))")
        }
        return size
    }
}

/// The library's version (the header's CDQ_ENGINE_VERSION_* at build time).
enum Version {
    static let major = UInt32(CDQ_ENGINE_VERSION_MAJOR)
    static let minor = UInt32(CDQ_ENGINE_VERSION_MINOR)
    static let patch = UInt32(CDQ_ENGINE_VERSION_PATCH)
    static let packed = major << 16 | minor << 8 | patch
    static let string: StaticString = "0.4.1"
}
