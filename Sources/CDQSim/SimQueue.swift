import CDQEngine
import CDQNVMe
import CDQSimulator

/// One queue of the model: the controller's side (`QueueProducer`, the
/// simulator's own producer, on memory of its own), the engine's side (the
/// production `QueueProtocol`), a bounded consumer ring, and what the
/// invariants need: the records the consumer is owed, in order.
final class SimQueue {
    let index: Int
    let memory: UnsafeMutableRawPointer
    var producer: QueueProducer
    var core: QueueProtocol
    /// Records in the consumer's ring (only the count matters: they are checked as they arrive).
    var ringCount = 0
    let ringCapacity: Int
    /// What the consumer is owed, oldest first: every record posted and not yet delivered.
    var owed: [Expected] = []
    var owedStart = 0
    /// Slot after the last record delivered into the consumer's ring.
    var deliveredPosition: UInt32 = 0
    /// The next sequence number a writer logs (the entry's SLBA).
    var nextSequence: UInt64 = 0

    /// The controller deleted the queue (suspend with DUDMQ).
    var deleted = false
    /// A `.queueLost` record reached the consumer; nothing may follow it.
    var lossSeen = false
    /// The engine released the queue (unregistered).
    var removed = false
    /// When unregister was asked for (to bound how long it takes).
    var removalAskedAt: UInt64?
    /// Events the controller sent so far (the masked fault passes only the first).
    var eventsSent = 0
    /// The consumer pops nothing until then.
    var stalledUntil: UInt64 = 0
    /// On the engine's ready list.
    var scheduled = false
    var polling = false
    /// On the deadline list (moderation).
    var deadlineListed = false

    /// A record the consumer must receive.
    struct Expected: Equatable, CustomStringConvertible {
        var kind: CDQRecord.Kind
        var sequence: UInt64
        var entryStatus: UInt8
        /// A skipped slot: its stale bytes are whatever the last lap left,
        /// so only the kind and the problem are known.
        var tailJump = false

        func matches(_ other: Expected) -> Bool {
            tailJump || other.tailJump ? kind == other.kind && tailJump == other.tailJump : self == other
        }

        var description: String {
            tailJump ? "tail-jump problem record" : "\(kind) #\(sequence) ESA \(entryStatus)"
        }
    }

    init(index: Int, entryCount: UInt32, ringCapacity: Int, configuration: EngineConfiguration, plantedBug: PlantedBug?) {
        self.index = index
        self.ringCapacity = ringCapacity
        let bytes = Int(entryCount) * MigrationQueueEntry.size
        memory = .allocate(byteCount: bytes, alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        producer = QueueProducer(cdqid: UInt16(index + 1), memory: memory, entryCount: entryCount, eventFD: nil)
        producer.logging = true
        core = QueueProtocol(entryCount: entryCount, head: 0, phase: true, configuration: configuration, plantedBug: plantedBug)
    }

    deinit { memory.deallocate() }

    var entryCount: UInt32 { producer.entryCount }
    /// The engine still holds the queue.
    var registered: Bool { !removed }
    var owedCount: Int { owed.count - owedStart }
    var nextOwed: Expected? { owedStart < owed.count ? owed[owedStart] : nil }

    func takeOwed() {
        owedStart += 1
        if owedStart == owed.count { owed.removeAll(keepingCapacity: true); owedStart = 0 }
    }

    /// Slots from the controller's head to `index`.
    func distance(to index: UInt32) -> UInt32 {
        (index &+ entryCount &- producer.head) % entryCount
    }
}
