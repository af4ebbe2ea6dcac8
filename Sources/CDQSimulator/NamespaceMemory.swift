import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a `.memory` namespace: one anonymous private mapping.
///
/// `MAP_NORESERVE` asks the kernel not to reserve swap for the whole size,
/// and anonymous pages are only materialised when first written, so a 1 GiB
/// namespace costs only what is written. Reads of untouched pages map the
/// shared zero page and cost nothing either.
///
/// Offsets and lengths are trusted: `SimulatedNamespace` has checked them
/// against the mapping's size.
final class NamespaceMemory {
    private let base: UnsafeMutableRawPointer
    private let byteCount: Int
    private let pageSize: Int

    init(byteCount: Int) throws(SystemError) {
        let address = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        // MAP_FAILED is ((void *) -1), a macro Swift does not import.
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SystemError("mmap \(byteCount) bytes for a memory namespace", errno: currentErrno())
        }
        base = address
        self.byteCount = byteCount
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    deinit { munmap(base, byteCount) }

    /// Copies `source` to `offset`.
    func store(_ source: UnsafeRawBufferPointer, at offset: Int) {
        guard let from = source.baseAddress else { return }
        (base + offset).copyMemory(from: from, byteCount: source.count)
    }

    /// Copies `destination.count` bytes from `offset` into `destination`.
    func load(into destination: UnsafeMutableRawBufferPointer, from offset: Int) {
        guard let to = destination.baseAddress else { return }
        to.copyMemory(from: base + offset, byteCount: destination.count)
    }

    /// Zeroes `count` bytes at `offset`. Whole pages inside the range are
    /// dropped with `MADV_DONTNEED` (the next touch of a private anonymous
    /// page maps a fresh zero page), so deallocating gives memory back;
    /// partial pages at either end are cleared with `memset`. If `madvise`
    /// refuses, the whole range is cleared with `memset`.
    func zero(at offset: Int, count: Int) {
        let firstWholePage = (offset + pageSize - 1) / pageSize * pageSize
        let endOfWholePages = (offset + count) / pageSize * pageSize
        guard endOfWholePages > firstWholePage,
              madvise(base + firstWholePage, endOfWholePages - firstWholePage, MADV_DONTNEED) == 0
        else {
            memset(base + offset, 0, count)
            return
        }
        memset(base + offset, 0, firstWholePage - offset)
        memset(base + endOfWholePages, 0, offset + count - endOfWholePages)
    }
}
