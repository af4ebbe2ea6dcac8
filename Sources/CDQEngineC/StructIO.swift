import CCDQEngine

#if canImport(Glibc)
import Glibc
#endif

/// The compatibility rule for structs crossing the C boundary: each begins
/// with `uint32_t size`, which the caller sets to sizeof(the struct) as its
/// header declares it.
///
/// Every struct is at its first version, so the smallest size accepted is
/// today's. A later version that appends fields will keep accepting the
/// older sizes (missing inputs take their defaults, outputs are cut short).
/// A caller built against a newer header may pass a larger struct: inputs
/// are accepted when the fields this library does not know are zero, and
/// outputs fill the known part, zero the rest, and set `size` to what was
/// filled.
enum StructIO {
    /// Far beyond any struct of this API: a larger size is garbage, not a
    /// newer header, and reading that far would overrun the caller's memory.
    static let largestPlausibleSize = 4096

    /// Reads the caller's struct over `defaults`.
    static func read<T>(_ pointer: UnsafeRawPointer?, over defaults: T, name: String) throws(CAPIError) -> T {
        guard let pointer else { throw CAPIError(EINVAL, "\(name) is NULL") }
        let size = try checkedSize(pointer, of: T.self, name: name)
        let known = MemoryLayout<T>.size
        for offset in known..<max(known, size) where pointer.load(fromByteOffset: offset, as: UInt8.self) != 0 {
            throw CAPIError(E2BIG, "\(name) is \(size) bytes with nonzero fields after byte \(known), which this library (\(Version.string)) does not know")
        }
        var value = defaults
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: known)) }
        return value
    }

    /// Writes `value` into the caller's struct; the caller's `size` says how much room it has.
    static func write<T>(_ value: T, to pointer: UnsafeMutableRawPointer?, name: String) throws(CAPIError) {
        guard let pointer else { throw CAPIError(EINVAL, "\(name) is NULL") }
        let size = try checkedSize(UnsafeRawPointer(pointer), of: T.self, name: name)
        let known = MemoryLayout<T>.size
        withUnsafeBytes(of: value) { pointer.copyMemory(from: $0.baseAddress!, byteCount: known) }
        if size > known { (pointer + known).initializeMemory(as: UInt8.self, repeating: 0, count: size - known) }
        pointer.storeBytes(of: UInt32(known), as: UInt32.self)
    }

    private static func checkedSize<T>(_ pointer: UnsafeRawPointer, of: T.Type, name: String) throws(CAPIError) -> Int {
        let size = Int(pointer.loadUnaligned(as: UInt32.self))
        let known = MemoryLayout<T>.size
        guard size >= known else {
            throw CAPIError(EINVAL, "\(name).size is \(size), this library needs at least \(known): set it to sizeof(\(name))")
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
    static let string: StaticString = "0.4.0"
}
