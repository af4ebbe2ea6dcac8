import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Per-chunk checksums of a file, so that two sides of a copy can be
/// compared without holding both at once (the destination may be on
/// another host) and a mismatch names the chunk.
///
/// The checksum is a 64-bit multiply-xor hash over 8-byte words, position
/// dependent (each word is mixed with its index), fast enough to be I/O
/// bound: not cryptographic, it catches copies that went wrong, not attackers.
struct Verifier {
    let chunkBytes: Int

    /// Checksums of every chunk, read through `side` itself (for an NBD
    /// destination, what the server returns); `stop` is asked before each
    /// chunk, and its error (a cancellation) ends the pass.
    func checksums(_ side: any CopyDestination, byteCount: UInt64, stop: () -> MigrationError? = { nil }) throws(MigrationError) -> [UInt64] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: Int(BlockFile.directAlignment))
        defer { buffer.deallocate() }
        var sums: [UInt64] = []
        var offset: UInt64 = 0
        while offset < byteCount {
            if let stopped = stop() { throw stopped }
            let length = Int(min(UInt64(chunkBytes), byteCount - offset))
            try side.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< length]), at: offset)
            sums.append(Self.checksum(UnsafeRawBufferPointer(rebasing: buffer[0 ..< length])))
            offset += UInt64(length)
        }
        return sums
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let words = bytes.count / 8
        for index in 0 ..< words {
            let word = bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            hash = (hash ^ (word &+ UInt64(index))) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
        }
        for index in words * 8 ..< bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x94D0_49BB_1331_11EB
        }
        return hash
    }
}
