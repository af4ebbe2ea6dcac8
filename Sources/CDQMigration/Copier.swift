import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// How a `Copier` moves data.
public struct CopierConfiguration: Sendable {
    /// Chunks in flight at once (each is a read, then a write of its buffer).
    public var depth: Int
    /// Largest single read or write, in bytes; a multiple of 4096.
    public var chunkBytes: Int

    public init(depth: Int = 32, chunkBytes: Int = 1 << 20) {
        self.depth = depth
        self.chunkBytes = chunkBytes
    }

    var problem: String? {
        if !(1...1024).contains(depth) { return "copy depth \(depth) is not in 1...1024" }
        if chunkBytes < 4096 || chunkBytes % 4096 != 0 || chunkBytes > 1 << 30 {
            return "chunk size \(chunkBytes) is not a multiple of 4096 up to 1 GiB"
        }
        return nil
    }
}

/// A byte range of a copy: `count` bytes at `offset`, the same on both sides.
public struct ByteRange: Sendable, Hashable {
    public var offset: UInt64
    public var count: UInt64
    public init(offset: UInt64, count: UInt64) {
        self.offset = offset
        self.count = count
    }
}

/// Copies byte ranges from a `BlockFile` to a `CopyDestination` (a file,
/// a block device, an NBD export) through its own io_uring: up to `depth`
/// chunks in flight, each read into one of `depth` registered buffers and
/// written from it, so the memory a copy uses is fixed
/// (`depth * chunkBytes`) whatever it copies.
///
/// Not Sendable: the thread that creates it owns its ring. `copy` calls
/// `between` after every batch of completions, which is where a migrator
/// on the same thread drains its CDQ consumer; nothing else runs there.
public final class Copier {
    public let source: BlockFile
    public let destination: any CopyDestination
    public let configuration: CopierConfiguration
    /// False when the kernel refused to pin the buffers (plain reads and writes are used).
    public let registeredBuffers: Bool
    /// Bytes the current (or last) `copy` has finished so far; read it in `between`.
    public private(set) var bytesCopied: UInt64 = 0
    private let ring: IOURing
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var slots: [Slot]

    /// Where one buffer is in its chunk's life.
    private struct Slot {
        var busy = false
        var writing = false
        var range = ByteRange(offset: 0, count: 0)
        /// Bytes of the current read or write already done (short transfers resume).
        var done: UInt64 = 0
    }

    private enum Kind {
        static let read: UInt8 = 1
        static let write: UInt8 = 2
        /// What the destination waits for (an NBD socket's polls).
        static let destination: UInt8 = 3
    }

    public init(source: BlockFile, destination: any CopyDestination, configuration: CopierConfiguration = CopierConfiguration()) throws(MigrationError) {
        if let problem = configuration.problem { throw .configuration(problem) }
        if let maximum = destination.maximumTransferBytes, configuration.chunkBytes > maximum {
            throw .configuration("chunk size \(configuration.chunkBytes) is larger than \(destination.path) takes in one request (\(maximum) bytes)")
        }
        self.source = source
        self.destination = destination
        self.configuration = configuration
        do {
            // Room for a read and a write per chunk, and the destination's polls (two a connection).
            ring = try IOURing(RingConfiguration(entries: UInt32(2 * configuration.depth + 16), bigEntries: false))
        } catch { throw .system(error) }
        buffers = (0 ..< configuration.depth).map { _ in
            .allocate(byteCount: configuration.chunkBytes, alignment: Int(BlockFile.directAlignment))
        }
        slots = Array(repeating: Slot(), count: configuration.depth)
        do {
            try ring.registerBuffers(buffers)
            registeredBuffers = true
        } catch {
            registeredBuffers = false
        }
    }

    deinit {
        if registeredBuffers { ring.unregisterBuffers() }
        buffers.forEach { $0.deallocate() }
    }

    /// Copies every range, in order of submission, and returns the bytes
    /// copied. On the first failed read or write, or when `stop` returns an
    /// error (it is asked after every batch), no new chunk starts, the
    /// chunks in flight finish, and that error is thrown; a failed read or
    /// write names the file and offset. The source is never written.
    @discardableResult
    public func copy(
        _ ranges: [ByteRange], between: () -> Void = {}, stop: () -> MigrationError? = { nil }
    ) throws(MigrationError) -> UInt64 {
        var chunks = ChunkIterator(ranges: ranges, chunkBytes: UInt64(configuration.chunkBytes))
        bytesCopied = 0
        var active = 0
        var failure: MigrationError?
        while true {
            if failure == nil {
                do { try fill(&chunks, &active) } catch { failure = error }
            }
            if active == 0 { break }
            let account = { (outcome: Outcome) in
                if case .finished(let bytes) = outcome { self.bytesCopied += bytes; active -= 1 }
                if case .failed(let error) = outcome { active -= 1; if failure == nil { failure = error } }
            }
            // Transfers the destination finished on its own (a lost connection) need no wait.
            var reaped = false
            destination.reap { tag, result in reaped = true; account(complete(tag, result)) }
            try destination.prepareWait(ring: ring, eventKind: Kind.destination)
            do {
                if reaped { _ = try ring.submit() } else { try ring.submitAndWait(minimum: 1) }
            } catch { throw .system(error) }
            ring.forEachCompletion { completion in
                if completion.tag.kind == Kind.destination { destination.handle(completion); return }
                account(complete(completion.tag, completion.result))
            }
            destination.reap { tag, result in account(complete(tag, result)) }
            between()
            if failure == nil { failure = stop() }
        }
        if let failure { throw failure }
        return bytesCopied
    }

    /// Starts a read in every free slot while chunks remain.
    private func fill(_ chunks: inout ChunkIterator, _ active: inout Int) throws(MigrationError) {
        for index in slots.indices where !slots[index].busy {
            guard let range = chunks.next() else { return }
            if source.direct || destination.direct {
                guard range.offset % BlockFile.directAlignment == 0, range.count % BlockFile.directAlignment == 0 else {
                    throw .configuration("direct I/O needs 4096-byte aligned ranges; got \(range.count) bytes at \(range.offset)")
                }
            }
            slots[index] = Slot(busy: true, writing: false, range: range, done: 0)
            do { try issue(index) } catch {
                slots[index].busy = false
                throw error
            }
            active += 1
        }
    }

    private enum Outcome {
        case pending
        case finished(UInt64)
        case failed(MigrationError)
    }

    /// Advances one slot when its transfer (tagged `tag`) finished with
    /// `result` (bytes or `-errno`): resume a short transfer, turn a
    /// finished read into the write, or free the slot.
    private func complete(_ tag: UserData, _ result: Int32) -> Outcome {
        let index = Int(tag.index)
        let writing = tag.kind == Kind.write
        let range = slots[index].range
        guard result > 0 else {
            let errno = result == 0 ? EIO : -result
            let file = writing ? destination.path : source.path
            let operation = writing ? "write" : "read"
            slots[index].busy = false
            return .failed(.io("\(operation) \(file) at byte \(range.offset + slots[index].done)", SystemError(operation, errno: errno)))
        }
        slots[index].done += UInt64(result)
        do {
            if slots[index].done < range.count {
                try issue(index)
                return .pending
            }
            if !writing {
                slots[index].writing = true
                slots[index].done = 0
                try issue(index)
                return .pending
            }
        } catch {
            slots[index].busy = false
            return .failed(error)
        }
        slots[index].busy = false
        return .finished(range.count)
    }

    /// Submits the rest of slot `index`'s current read or write.
    private func issue(_ index: Int) throws(MigrationError) {
        let slot = slots[index]
        let offset = slot.range.offset + slot.done
        let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[index][Int(slot.done) ..< Int(slot.range.count)])
        let tag = UserData(kind: slot.writing ? Kind.write : Kind.read, index: UInt32(index))
        let transfer = Transfer(writing: slot.writing, buffer: buffer, offset: offset, fixedBuffer: registeredBuffers ? index : nil)
        let side: any CopyDestination = slot.writing ? destination : source
        try side.start(transfer, ring: ring, tag: tag)
    }
}

/// Splits ranges into chunks of at most `chunkBytes`, in order.
struct ChunkIterator: IteratorProtocol {
    let ranges: [ByteRange]
    let chunkBytes: UInt64
    private var index = 0
    private var offsetInRange: UInt64 = 0

    init(ranges: [ByteRange], chunkBytes: UInt64) {
        self.ranges = ranges
        self.chunkBytes = chunkBytes
    }

    mutating func next() -> ByteRange? {
        while index < ranges.count {
            let range = ranges[index]
            if offsetInRange < range.count {
                let count = min(chunkBytes, range.count - offsetInRange)
                defer { offsetInRange += count }
                return ByteRange(offset: range.offset + offsetInRange, count: count)
            }
            index += 1
            offsetInRange = 0
        }
        return nil
    }
}
