import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Tests that count the process's descriptors must run alone: `make test`
/// runs them in a second pass with CDQ_EXCLUSIVE_TESTS set and no
/// parallelism (their names end in `ReleasesEveryDescriptor`).
public let exclusiveTests = getenv("CDQ_EXCLUSIVE_TESTS") != nil

/// Open file descriptors of this process.
public func openDescriptors() -> Int { ProcessResources.openDescriptors() }

/// Memory mappings of this process: a leaked queue memory mapping shows up here.
public func mappedRegions() -> Int { ProcessResources.mappings() }

/// Open descriptors once the count reaches `expected` or `timeoutNanoseconds`
/// pass. A queue's eventfd can be closed by the engine's loop thread just
/// after `unregister` returned (its last reference goes there), so a count
/// taken at once may still include it.
public func openDescriptors(settlingAt expected: Int, timeoutNanoseconds: UInt64 = 2_000_000_000) -> Int {
    var waited: UInt64 = 0
    var count = openDescriptors()
    while count != expected && waited < timeoutNanoseconds {
        usleep(1000)
        waited += 1_000_000
        count = openDescriptors()
    }
    return count
}
