import CCDQEngine
import CDQEngine
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

// The C entry points for consumers. peek/release/pop are the hot path: one
// handle check (an acquire load) and the ring operation, no allocation, no
// reference counting.

/// Largest consumer ring: every queue is bounded.
let largestConsumerCapacity = 1 << 24

@_cdecl("cdq_consumer_create")
public func cdqConsumerCreate(_ capacity: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    cCall { () throws(CAPIError) in
        let out = try required(out, "out")
        guard (1...largestConsumerCapacity).contains(capacity) else {
            throw CAPIError(EINVAL, "consumer capacity \(UInt(bitPattern: capacity)) must be 1...\(largestConsumerCapacity)")
        }
        guard RecordLayout.matches else {
            throw CAPIError(ENOTSUP, "this build's CDQRecord layout differs from cdq_record; the library is miscompiled")
        }
        let consumer = try system { () throws(SystemError) in try Consumer(capacity: capacity) }
        out.pointee = try Handles.consumers.insert(CConsumer(consumer))
        return 0
    }
}

@_cdecl("cdq_consumer_destroy")
public func cdqConsumerDestroy(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        try Handles.consumers.remove(handle) { consumer in
            let attached = consumer.attached.load(ordering: .relaxed)
            return attached == 0 ? nil : CAPIError(EBUSY, "the consumer still receives from \(attached) attached queues: detach them first")
        }
        return 0
    }
}

/// The failure of a pop-path call with a handle that is not a live consumer.
@inline(never)
func refused(_ handle: OpaquePointer?) -> Int32 {
    failed(Handles.consumers.refusal(handle))
}

@_cdecl("cdq_consumer_peek")
public func cdqConsumerPeek(
    _ handle: OpaquePointer?, _ max: UInt, _ records: UnsafeMutablePointer<UnsafePointer<cdq_record>?>?
) -> Int64 {
    guard let consumer = consumerSlots.lookup(handle) else { return Int64(refused(handle)) }
    guard let records else { return Int64(nullArgument("records")) }
    return consumer._withUnsafeGuaranteedRef { consumer in
        let peeked = consumer.consumer.peek(max: Int(clamping: Swift.min(max, UInt(largestConsumerCapacity))))
        consumer.peeked = peeked.count
        records.pointee = UnsafePointer(OpaquePointer(peeked.baseAddress))
        return Int64(peeked.count)
    }
}

@_cdecl("cdq_consumer_release")
public func cdqConsumerRelease(_ handle: OpaquePointer?, _ count: UInt) -> Int32 {
    guard let consumer = consumerSlots.lookup(handle) else { return refused(handle) }
    return consumer._withUnsafeGuaranteedRef { consumer in
        guard count <= UInt(consumer.peeked) else { return overRelease(count, consumer.peeked) }
        consumer.consumer.release(Int(count))
        consumer.peeked -= Int(count)
        return 0
    }
}

@_cdecl("cdq_consumer_pop")
public func cdqConsumerPop(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<cdq_record>?, _ max: UInt) -> Int64 {
    guard let consumer = consumerSlots.lookup(handle) else { return Int64(refused(handle)) }
    guard max > 0 else { return 0 }
    guard let out else { return Int64(nullArgument("out")) }
    let count = Int(clamping: Swift.min(max, UInt(largestConsumerCapacity)))
    return consumer._withUnsafeGuaranteedRef { consumer in
        consumer.peeked = 0
        return out.withMemoryRebound(to: CDQRecord.self, capacity: count) { records in
            Int64(consumer.consumer.pop(into: UnsafeMutableBufferPointer(start: records, count: count)))
        }
    }
}

@inline(never)
func nullArgument(_ name: StaticString) -> Int32 {
    failed(CAPIError(EINVAL, "\(name) is NULL"))
}

@inline(never)
func overRelease(_ count: UInt, _ peeked: Int) -> Int32 {
    failed(CAPIError(EINVAL, "release of \(count) records, but the open peek holds \(peeked)"))
}

@_cdecl("cdq_consumer_wait")
public func cdqConsumerWait(_ handle: OpaquePointer?, _ timeoutNanoseconds: Int64) -> Int32 {
    cCall { () throws(CAPIError) in
        let consumer = try Handles.consumers.object(handle).consumer
        let timeout: UInt64? = timeoutNanoseconds < 0 ? nil : UInt64(timeoutNanoseconds)
        return consumer.wait(timeoutNanoseconds: timeout) ? 1 : 0
    }
}

@_cdecl("cdq_consumer_eventfd")
public func cdqConsumerEventFD(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in try Handles.consumers.object(handle).consumer.readyEvent.fileDescriptor }
}

@_cdecl("cdq_consumer_arm")
public func cdqConsumerArm(_ handle: OpaquePointer?) -> Int32 {
    cCall { () throws(CAPIError) in
        let consumer = try Handles.consumers.object(handle).consumer
        // Reset first, then announce, then look: a delivery after the look
        // signals the (now empty) eventfd, so a sleeper cannot miss it.
        _ = try? consumer.readyEvent.drain()
        consumer.prepareToWait()
        return consumer.ring.isEmpty ? 0 : 1
    }
}
