import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// What the process holds at one moment: open descriptors, resident
/// memory, mapped memory and the number of mappings.
struct ResourceSample {
    var descriptors: Int
    var residentBytes: Int
    var mappedBytes: Int
    var mappings: Int

    static func now() -> ResourceSample {
        let (size, resident) = statm()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return ResourceSample(descriptors: ProcessResources.openDescriptors(), residentBytes: resident * page,
                              mappedBytes: size * page, mappings: ProcessResources.mappings())
    }

    /// Pages mapped and resident (/proc/self/statm, fields 1 and 2).
    private static func statm() -> (Int, Int) {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return (0, 0) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 128)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 128) }
        guard count > 0 else { return (0, 0) }
        let fields = String(decoding: bytes[..<count], as: UTF8.self).split(separator: " ")
        guard fields.count >= 2 else { return (0, 0) }
        return (Int(fields[0]) ?? 0, Int(fields[1]) ?? 0)
    }

    var line: String {
        "fds \(descriptors)  rss \(residentBytes >> 20) MiB  mapped \(mappedBytes >> 20) MiB  mappings \(mappings)"
    }
}

/// The soak's bound: after the warm-up, no sample may exceed the baseline
/// (the largest sample of the warm-up) by more than this.
struct GrowthBound {
    var descriptors = 64
    var residentBytes = 64 << 20
    var mappedBytes = 128 << 20
    var mappings = 64

    /// What grew past the bound, if anything.
    func violation(baseline: ResourceSample, sample: ResourceSample) -> String? {
        if sample.descriptors > baseline.descriptors + descriptors { return "descriptors \(baseline.descriptors) -> \(sample.descriptors)" }
        if sample.residentBytes > baseline.residentBytes + residentBytes { return "RSS \(baseline.residentBytes >> 20) -> \(sample.residentBytes >> 20) MiB" }
        if sample.mappedBytes > baseline.mappedBytes + mappedBytes { return "mapped \(baseline.mappedBytes >> 20) -> \(sample.mappedBytes >> 20) MiB" }
        if sample.mappings > baseline.mappings + mappings { return "mappings \(baseline.mappings) -> \(sample.mappings)" }
        return nil
    }
}

extension ResourceSample {
    /// The larger of each field.
    func maximum(_ other: ResourceSample) -> ResourceSample {
        ResourceSample(descriptors: max(descriptors, other.descriptors), residentBytes: max(residentBytes, other.residentBytes),
                       mappedBytes: max(mappedBytes, other.mappedBytes), mappings: max(mappings, other.mappings))
    }
}
