import CDQEngine
import CDQNVMe

/// The migration queue entry: the 32-byte decoder, `validate()`, the
/// engine's `EntryCheck` under a scope taken from the input, and the
/// phase-tag drain over the input as queue memory.
enum EntryFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 32 + 13 else {
            if let entry = MigrationQueueEntry(buffer: input) { consume(entry.validate()) }
            return
        }
        // Header: scope (NSID, capacity, convention), read index, phase.
        let nsid = input.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let capacity = input.loadUnaligned(fromByteOffset: 4, as: UInt64.self)
        let flags = input[12]
        let scope = flags & 1 == 0 ? nil
            : QueueScope([.init(nsid: nsid, capacity: capacity), .init(nsid: nsid &+ 1, capacity: capacity >> 1)],
                         convention: flags & 2 == 0 ? .specification : .tp4159Emulation)
        let check = EntryCheck(scope: scope)
        let body = UnsafeRawBufferPointer(rebasing: input[13...])
        let entryCount = UInt32(max(2, body.count / MigrationQueueEntry.size))
        let memory = UnsafeMutableRawPointer.allocate(byteCount: Int(entryCount) * MigrationQueueEntry.size, alignment: 64)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Int(entryCount) * MigrationQueueEntry.size)
        memory.copyMemory(from: body.baseAddress!, byteCount: min(body.count, Int(entryCount) * MigrationQueueEntry.size))
        for index in 0 ..< Int(entryCount) {
            let entry = MigrationQueueEntry(bytes: memory + index * MigrationQueueEntry.size)
            consume(entry.validate())
            consume(check.problem(entry))
        }
        let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: Int(entryCount) + 8)
        defer { records.deallocate() }
        var readIndex = UInt32(flags >> 2) % entryCount
        var phase = flags & 0x80 != 0
        let outcome = PhaseTagDrain.copy(from: memory, entryCount: entryCount, readIndex: &readIndex, expectedPhase: &phase,
                                         into: records, queue: 0, cdqid: 1, check: check)
        precondition(outcome.count <= records.count && readIndex < entryCount, "drain out of bounds")
        for record in records[..<outcome.count] { consume(record.problem) }
    }
}
