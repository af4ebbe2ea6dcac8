import CCDQEngine
import CDQEngineC

/// The C API's inputs: caller structs of any size and content (read with
/// `StructIO` and checked field by field), and handles that are NULL,
/// stale or made up. The configurations are made invalid in their last
/// checked field, so every check runs and no engine or simulator is built
/// (that would measure thread creation, not input handling).
enum CAPIFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 9 else { return }
        // A caller's struct: `size` first, then fields; the buffer is as
        // large as any `size` the library accepts reading.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096 + 64, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 4096 + 64)
        buffer.copyMemory(from: input.baseAddress! + 1, byteCount: min(input.count - 1, 4096 + 64))
        var out: OpaquePointer?
        switch input[0] % 4 {
        case 0:
            let config = buffer.assumingMemoryBound(to: cdq_engine_config.self)
            config.pointee.reserved = 1 // the last check: never an engine
            precondition(cdq_engine_create(config, &out) < 0 && out == nil, "an engine from an invalid configuration")
        case 1:
            let config = buffer.assumingMemoryBound(to: cdq_simulator_config.self)
            config.pointee.keep_data = 2 // the last check: never a simulator
            precondition(cdq_simulator_create(config, &out) < 0 && out == nil, "a simulator from an invalid configuration")
        case 2:
            let handle = OpaquePointer(bitPattern: buffer.loadUnaligned(as: UInt.self))
            var stats = cdq_engine_stats()
            stats.size = UInt32(MemoryLayout<cdq_engine_stats>.size)
            _ = cdq_engine_stats_get(handle, &stats)
            _ = cdq_consumer_release(handle, Int(buffer.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            _ = cdq_queue_detach(handle)
            _ = cdq_simulator_post_entry(handle, buffer.loadUnaligned(fromByteOffset: 10, as: UInt16.self),
                                         buffer.assumingMemoryBound(to: UInt8.self) + 16)
        default:
            let handle = OpaquePointer(bitPattern: buffer.loadUnaligned(as: UInt.self))
            var record = cdq_record()
            _ = cdq_consumer_pop(handle, &record, 1)
            _ = cdq_engine_destroy(handle)
            _ = cdq_consumer_destroy(handle)
            _ = cdq_simulator_destroy(handle)
        }
        consume(cdq_last_error())
    }
}
