import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Zeroed, page-aligned memory for one CDQ, mapped with `mmap` and unmapped
/// when released, with the reason for its placement.
///
/// A controller writes entries into this memory by DMA. The RFC kernel
/// describes it with PRP1 alone (PC = 1) only when the pinned pages form one
/// physically contiguous segment, and a TP4159 controller that gets a PRP
/// list instead logs nothing (cdq-protocol.md §6). User space can only be
/// sure of contiguity within one page or one hugepage, hence the placements.
public final class QueueMemory: @unchecked Sendable {
    // @unchecked: the mapping is immutable; its bytes belong to the
    // controller (writer) and the engine loop (reader).

    public enum Placement: String, Sendable, Equatable {
        /// One base page: physically contiguous, `pageSize / 32` entries at most.
        case singlePage = "single page"
        /// One 2 MiB hugepage (`MAP_HUGETLB`): contiguous, up to 65,536 entries.
        case hugePage = "hugepage"
        /// Ordinary pages, contiguous only by chance: for the simulator and
        /// for controllers that accept a PRP list.
        case pages
    }

    /// What the caller asks for.
    public enum Policy: Sendable, Equatable {
        /// Physically contiguous memory for `entries` entries: one page when
        /// they fit, else a hugepage when one can be mapped, else one page
        /// with fewer entries (the reason says so).
        case contiguous(entries: UInt32)
        /// A hugepage or an error; never a silent fallback.
        case hugePage(entries: UInt32)
        /// Ordinary pages of any size (no contiguity).
        case pages(entries: UInt32)
    }

    public static let hugePageSize = 2 << 20
    public static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    public let buffer: UnsafeMutableRawBufferPointer
    public let entryCount: UInt32
    public let placement: Placement
    /// Why this placement and size, in words a user can act on.
    public let reason: String
    private let mappedBytes: Int

    private init(mapping: UnsafeMutableRawPointer, mappedBytes: Int, entries: UInt32, placement: Placement, reason: String) {
        self.mappedBytes = mappedBytes
        buffer = UnsafeMutableRawBufferPointer(start: mapping, count: Int(entries) * MigrationQueueEntry.size)
        entryCount = entries
        self.placement = placement
        self.reason = reason
    }

    deinit { munmap(buffer.baseAddress, mappedBytes) }

    /// Memories whose queue may still exist (a failed delete): kept mapped
    /// until the process ends, so no later allocation reuses pages a
    /// controller may still write or the kernel may still have pinned.
    private static let kept = Locked<[QueueMemory]>([])

    /// Keeps this memory mapped for the rest of the process.
    public func quarantine() {
        Self.kept.withLock { $0.append(self) }
    }

    /// How many queue memories are kept by `quarantine()`.
    public static var quarantined: Int { kept.withLock { $0.count } }

    public static func allocate(_ policy: Policy) throws(QueueMemoryError) -> QueueMemory {
        switch policy {
        case .pages(let entries):
            try check(entries, maximum: UInt32.max / UInt32(MigrationQueueEntry.size))
            return try map(entries: entries, placement: .pages, reason: "\(entries) entries in ordinary pages (no contiguity needed)")
        case .hugePage(let entries):
            try check(entries, maximum: maximumHugePageEntries)
            return try map(entries: entries, placement: .hugePage, reason: "\(entries) entries in one 2 MiB hugepage, as asked")
        case .contiguous(let entries):
            try check(entries, maximum: maximumHugePageEntries)
            return try contiguous(entries)
        }
    }

    static var maximumPageEntries: UInt32 { UInt32(pageSize / MigrationQueueEntry.size) }
    static let maximumHugePageEntries = UInt32(hugePageSize / MigrationQueueEntry.size)

    private static func contiguous(_ entries: UInt32) throws(QueueMemoryError) -> QueueMemory {
        let perPage = maximumPageEntries
        if entries <= perPage {
            return try map(entries: entries, placement: .singlePage, reason: "\(entries) entries fit in one \(pageSize / 1024) KiB page, which is physically contiguous")
        }
        do {
            return try map(entries: entries, placement: .hugePage, reason: "\(entries) entries need more than a page; one 2 MiB hugepage keeps them physically contiguous")
        } catch {
            return try map(entries: perPage, placement: .singlePage, reason: "\(entries) entries need more than a page, but no 2 MiB hugepage could be mapped (\(error)); using one page of \(perPage) entries so the queue stays physically contiguous (reserve hugepages with /proc/sys/vm/nr_hugepages)")
        }
    }

    private static func check(_ entries: UInt32, maximum: UInt32) throws(QueueMemoryError) {
        guard entries >= 2, entries <= maximum else { throw .badEntryCount(entries, maximum: maximum) }
    }

    private static func map(entries: UInt32, placement: Placement, reason: String) throws(QueueMemoryError) -> QueueMemory {
        let bytes = Int(entries) * MigrationQueueEntry.size
        let unit = placement == .hugePage ? hugePageSize : pageSize
        let mapped = (bytes + unit - 1) / unit * unit
        var flags = MAP_PRIVATE | MAP_ANONYMOUS
        if placement == .hugePage { flags |= MAP_HUGETLB }
        guard let mapping = mmap(nil, mapped, PROT_READ | PROT_WRITE, flags, -1, 0), mapping != MAP_FAILED else {
            throw .map(placement, SystemError(placement == .hugePage ? "mmap MAP_HUGETLB" : "mmap", errno: currentErrno()))
        }
        // Anonymous mappings are zero-filled: every phase tag starts at 0,
        // so the first lap's entries (phase 1) are recognisable.
        return QueueMemory(mapping: mapping, mappedBytes: mapped, entries: entries, placement: placement, reason: reason)
    }
}

/// Why queue memory could not be had.
public enum QueueMemoryError: Error, Sendable, Equatable, CustomStringConvertible {
    case badEntryCount(UInt32, maximum: UInt32)
    case map(QueueMemory.Placement, SystemError)

    public var description: String {
        switch self {
        case .badEntryCount(let entries, let maximum): "a CDQ holds 2 to \(maximum) entries here, not \(entries)"
        case .map(.hugePage, let error): "\(error): no 2 MiB hugepage is available (reserve some with /proc/sys/vm/nr_hugepages)"
        case .map(_, let error): error.description
        }
    }
}
