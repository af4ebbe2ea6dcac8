import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a `.file` namespace: a sparse regular file of exactly the
/// namespace's size, read and written with `pread`/`pwrite`.
///
/// `ftruncate` sets the size without allocating blocks, so a 1 TiB namespace
/// costs only the blocks written; deallocation punches holes to give them
/// back. `pread`/`pwrite` carry their own offset, so any number of threads
/// may share the descriptor.
///
/// Offsets and lengths are trusted: `SimulatedNamespace` has checked them
/// against the file's size.
final class NamespaceFile {
    private let descriptor: Int32
    /// Zeroes to write where the filesystem cannot punch holes.
    private let zeroes: UnsafeMutableRawBufferPointer

    /// Bytes written per `pwrite` when zeroing without hole punching.
    private static let zeroChunk = 64 * 1024

    /// Opens or creates `path` (mode 0644) and sets its size to `byteCount`.
    init(path: String, byteCount: Int) throws(SystemError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SystemError("open \(path)", errno: currentErrno())
        }
        guard ftruncate(descriptor, off_t(byteCount)) == 0 else {
            let error = currentErrno()
            close(descriptor)
            throw SystemError("ftruncate \(path) to \(byteCount) bytes", errno: error)
        }
        self.descriptor = descriptor
        zeroes = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.zeroChunk, alignment: 4096)
        zeroes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        close(descriptor)
        zeroes.deallocate()
    }

    /// Writes all of `source` at `offset`, looping on short writes and
    /// `EINTR`. A failure, or a write that makes no progress, is `Data
    /// Transfer Error`.
    func store(_ source: UnsafeRawBufferPointer, at offset: Int) -> NVMeStatus {
        guard let base = source.baseAddress else { return .success }
        var done = 0
        while done < source.count {
            let written = pwrite(descriptor, base + done, source.count - done, off_t(offset + done))
            if written > 0 {
                done += written
            } else if written == 0 || currentErrno() != EINTR {
                return .dataTransferError
            }
        }
        return .success
    }

    /// Fills all of `destination` from `offset`, looping on short reads and
    /// `EINTR`. A failure, or end of file before the namespace's end (the
    /// file was truncated behind our back), is `Data Transfer Error`.
    func load(into destination: UnsafeMutableRawBufferPointer, from offset: Int) -> NVMeStatus {
        guard let base = destination.baseAddress else { return .success }
        var done = 0
        while done < destination.count {
            let got = pread(descriptor, base + done, destination.count - done, off_t(offset + done))
            if got > 0 {
                done += got
            } else if got == 0 || currentErrno() != EINTR {
                return .dataTransferError
            }
        }
        return .success
    }

    /// Makes `count` bytes at `offset` read as zeroes: punches a hole (the
    /// filesystem zeroes partial blocks at the edges and frees whole ones),
    /// or, where the filesystem does not support that (`EOPNOTSUPP`, or no
    /// `fallocate` at all), writes zeroes. Other hole punch failures are
    /// `Internal Error`.
    func zero(at offset: Int, count: Int) -> NVMeStatus {
        switch punchHole(at: offset, count: count) {
        case 0: return .success
        case EOPNOTSUPP, ENOSYS: return writeZeroes(at: offset, count: count)
        default: return .internalError
        }
    }

    /// `fallocate(PUNCH_HOLE | KEEP_SIZE)`, retried on `EINTR`; 0 or the errno.
    private func punchHole(at offset: Int, count: Int) -> Int32 {
        guard let fallocate = namespaceFallocate else { return ENOSYS }
        while true {
            if fallocate(descriptor, fallocatePunchHole | fallocateKeepSize, off_t(offset), off_t(count)) == 0 {
                return 0
            }
            let error = currentErrno()
            if error != EINTR { return error }
        }
    }

    /// Zeroes by writing, one bounded chunk at a time.
    private func writeZeroes(at offset: Int, count: Int) -> NVMeStatus {
        var done = 0
        while done < count {
            let length = min(count - done, Self.zeroChunk)
            let status = store(UnsafeRawBufferPointer(rebasing: zeroes[0 ..< length]), at: offset + done)
            guard status.isSuccess else { return status }
            done += length
        }
        return .success
    }
}

/// `FALLOC_FL_KEEP_SIZE` and `FALLOC_FL_PUNCH_HOLE` from `<linux/falloc.h>`
/// (kernel ABI); the Swift Glibc module does not import them.
private let fallocateKeepSize: Int32 = 0x01
private let fallocatePunchHole: Int32 = 0x02

private typealias NamespaceFallocateFunction = @convention(c) (Int32, Int32, off_t, off_t) -> Int32

/// Glibc's `fallocate(2)`, looked up at run time: it is declared only under
/// `_GNU_SOURCE`, which the Swift Glibc module is not built with (a nil
/// handle is glibc's `RTLD_DEFAULT`: search every loaded object). `nil`
/// (never seen on glibc) means "zero by writing".
private let namespaceFallocate: NamespaceFallocateFunction? =
    dlsym(nil, "fallocate").map { unsafeBitCast($0, to: NamespaceFallocateFunction.self) }
