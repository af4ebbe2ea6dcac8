/// A page-aligned, zeroed buffer the kernel can DMA into; freed by its owner.
final class Buffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(_ count: Int) {
        bytes = .allocate(byteCount: count, alignment: 4096)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { bytes.deallocate() }

    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(bytes) }
}
