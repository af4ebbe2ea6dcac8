#if canImport(Glibc)
import Glibc
#endif

/// Tests that count the process's descriptors must run alone: `make test`
/// runs them in a second pass with CDQ_EXCLUSIVE_TESTS set and no
/// parallelism (their names end in `ReleasesEveryDescriptor`).
public let exclusiveTests = getenv("CDQ_EXCLUSIVE_TESTS") != nil

/// Open file descriptors of this process (entries of /proc/self/fd).
public func openDescriptors() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while readdir(dir) != nil { count += 1 }
    return count
}
