#if canImport(Glibc)
import Glibc
#endif

import Atomics
import CDQUring

/// The C handles of one kind of object.
///
/// A handle is not a pointer to the object: it packs the kind, the slot and
/// the slot's generation into a pointer-sized value that is never
/// dereferenced. So a NULL, destroyed, or foreign handle (an engine passed
/// where a consumer belongs) is recognised and refused with -EINVAL or
/// -EBADF instead of touching freed memory, up to 65,536 reuses of a slot.
/// A lookup is one acquire load and a compare: cheap enough for the pop path.
///
/// Slots are taken round-robin so a destroyed handle's slot is reused as
/// late as possible. Destroying a handle while another thread still uses it
/// is outside the contract (docs/c-api.md); sequential misuse is caught.
final class HandleTable<Object: AnyObject>: @unchecked Sendable {
    // @unchecked: a slot's object is written under `cursor`'s lock before its
    // state is published with a release store, and read after an acquire load.

    let kind: UInt64
    let name: String
    let capacity: Int
    /// Per slot: generation << 1 | live.
    private let states: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>
    private let objects: UnsafeMutablePointer<Unmanaged<Object>?>
    /// The slot to try first when inserting.
    private let cursor = Locked(0)

    init(kind: UInt64, name: String, capacity: Int) {
        self.kind = kind
        self.name = name
        self.capacity = capacity
        states = .allocate(capacity: capacity)
        states.initialize(repeating: UnsafeAtomic<UInt32>.Storage(0), count: capacity)
        objects = .allocate(capacity: capacity)
        objects.initialize(repeating: nil, count: capacity)
    }

    /// The slots as `HandleSlots.lookup` reads them.
    var slots: HandleSlots<Object> { HandleSlots(kind: kind, capacity: capacity, states: states, objects: objects) }

    private func state(_ slot: Int) -> UnsafeAtomic<UInt32> { UnsafeAtomic(at: states + slot) }

    /// Keeps `object` alive under a new handle.
    func insert(_ object: Object) throws(CAPIError) -> OpaquePointer {
        let handle: UInt64? = cursor.withLock { next in
            for step in 0..<capacity {
                let slot = (next + step) % capacity
                let current = state(slot).load(ordering: .relaxed)
                guard current & 1 == 0 else { continue }
                let generation = ((current >> 1) &+ 1) & 0xFFFF
                objects[slot] = .passRetained(object)
                state(slot).store(generation << 1 | 1, ordering: .releasing)
                next = slot + 1
                return kind << 56 | UInt64(generation) << 32 | UInt64(slot + 1)
            }
            return nil
        }
        guard let handle else { throw CAPIError(EMFILE, "too many live \(name) handles (at most \(capacity))") }
        return OpaquePointer(bitPattern: UInt(handle))!
    }

    /// The object of a live handle, not retained: valid while the handle is
    /// not destroyed, which the caller's contract guarantees for the call.
    func lookup(_ handle: OpaquePointer?) throws(CAPIError) -> Unmanaged<Object> {
        guard let object = slots.lookup(handle) else { throw refusal(handle) }
        return object
    }

    /// Why `handle` was refused: NULL, or not live.
    @inline(never)
    func refusal(_ handle: OpaquePointer?) -> CAPIError { handle == nil ? nullHandle() : stale() }

    /// The object of a live handle, retained for the caller (cold paths).
    func object(_ handle: OpaquePointer?) throws(CAPIError) -> Object {
        try lookup(handle).takeUnretainedValue()
    }

    /// Ends a handle if `allowed` does not object; returns its object.
    @discardableResult
    func remove(_ handle: OpaquePointer?, if allowed: (Object) -> CAPIError? = { _ in nil }) throws(CAPIError) -> Object {
        guard let handle else { throw nullHandle() }
        let (slot, expected) = try decode(handle)
        let outcome: Result<Unmanaged<Object>, CAPIError> = cursor.withLock { _ in
            guard state(slot).load(ordering: .relaxed) == expected, let object = objects[slot] else { return .failure(stale()) }
            if let refusal = allowed(object.takeUnretainedValue()) { return .failure(refusal) }
            objects[slot] = nil
            state(slot).store(expected & ~1, ordering: .releasing)
            return .success(object)
        }
        switch outcome {
        case .success(let object): return object.takeRetainedValue()
        case .failure(let error): throw error
        }
    }

    private func decode(_ handle: OpaquePointer) throws(CAPIError) -> (slot: Int, state: UInt32) {
        guard let decoded = slots.decode(handle) else { throw stale() }
        return decoded
    }

    private func nullHandle() -> CAPIError { CAPIError(EINVAL, "the \(name) handle is NULL") }

    private func stale() -> CAPIError {
        CAPIError(EBADF, "not a live \(name) handle (destroyed already, or never one)")
    }
}

/// What a lookup needs of a table, as a plain value: kept in a global
/// with a constant initializer (`consumerSlots`), the pop path reads it
/// with one load, where a `static let` costs a lazy-initialization call.
struct HandleSlots<Object: AnyObject> {
    var kind: UInt64 = 0
    var capacity = 0
    var states: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>?
    var objects: UnsafeMutablePointer<Unmanaged<Object>?>?

    /// The slot of a well-formed handle of this kind, and the state it
    /// expects (its generation, live).
    @inline(__always)
    func decode(_ handle: OpaquePointer) -> (slot: Int, state: UInt32)? {
        let bits = UInt64(UInt(bitPattern: handle))
        let slot = Int(bits & 0xFFFF_FFFF) &- 1
        guard bits >> 48 == kind << 8, slot >= 0, slot < capacity else { return nil }
        return (slot, UInt32((bits >> 32) & 0xFFFF) << 1 | 1)
    }

    /// The object of a live handle, nil for any other value.
    @inline(__always)
    func lookup(_ handle: OpaquePointer?) -> Unmanaged<Object>? {
        guard let handle, let (slot, expected) = decode(handle), let states, let objects else { return nil }
        guard UnsafeAtomic(at: states + slot).load(ordering: .acquiring) == expected else { return nil }
        return objects[slot]
    }
}

/// The consumer table's slots for the pop path; empty until the first
/// consumer is created (so every handle is refused until then).
nonisolated(unsafe) var consumerSlots = HandleSlots<CConsumer>()

/// The process's handle tables, one per kind.
enum Handles {
    static let engines = HandleTable<CEngine>(kind: 1, name: "cdq_engine", capacity: 256)
    static let consumers: HandleTable<CConsumer> = {
        let table = HandleTable<CConsumer>(kind: 2, name: "cdq_consumer", capacity: 4096)
        consumerSlots = table.slots
        return table
    }()
    static let queues = HandleTable<CQueue>(kind: 3, name: "cdq_queue", capacity: 16384)
    static let simulators = HandleTable<CSimulator>(kind: 4, name: "cdq_simulator", capacity: 256)
}
