// Single-threaded behaviour of SPSCRing: order, bounds, wraparound, the
// zero-copy windows, capacity rounding, observers and misuse traps.

@testable import CDQQueues
import CDQTestSupport
import Testing

@Suite struct SPSCRingTests {
    @Test func popsInPushOrder() {
        let ring = SPSCRing<Int>(capacity: 16)
        for value in 0..<10 { #expect(ring.tryPush(value)) }
        #expect((0..<10).map { _ in ring.tryPop() } == Array(0..<10))
        // Interleaved: each pop still gets the oldest record.
        #expect(ring.tryPush(10) && ring.tryPush(11))
        #expect(ring.tryPop() == 10)
        #expect(ring.tryPush(12))
        #expect([ring.tryPop(), ring.tryPop(), ring.tryPop()] == [11, 12, nil])
    }

    @Test func fullAtExactlyCapacityAndNothingIsOverwritten() {
        let ring = SPSCRing<Int>(capacity: 8)
        for value in 0..<8 { #expect(ring.tryPush(value), "push \(value) of 8") }
        #expect(!ring.tryPush(99))
        #expect(ring.push([99, 98]) == 0)
        #expect(ring.reserve(max: 4).isEmpty)
        #expect(ring.count == 8 && ring.freeSpace == 0)
        #expect(ring.pop(max: 16, placeholder: -1) == Array(0..<8))
    }

    @Test func emptyRingYieldsNothing() {
        let ring = SPSCRing<Int>(capacity: 4)
        #expect(ring.tryPop() == nil)
        #expect(ring.pop(max: 4, placeholder: -1).isEmpty)
        #expect(ring.peek(max: 4).isEmpty)
        #expect(ring.isEmpty)
        #expect(ring.tryPush(7))
        #expect(!ring.isEmpty)
        #expect(ring.tryPop() == 7)
        #expect(ring.tryPop() == nil)
        #expect(ring.isEmpty)
    }

    /// Odd batch sizes against a capacity of 8 put every slot at the start of
    /// a batch and make batches straddle the end of the storage. The first
    /// pattern keeps the ring mostly full, the second drains it every time.
    @Test(arguments: [([3, 5], [5, 3, 3]), ([3], [5])])
    func wrapsAroundTenThousandLapsInOddBatches(pushSizes: [Int], popSizes: [Int]) {
        let ring = SPSCRing<UInt64>(capacity: 8)
        var pushed: UInt64 = 0
        var popped: UInt64 = 0
        var pushStarts = Set<UInt64>(), popStarts = Set<UInt64>()
        var pushWraps = 0, popWraps = 0
        var step = 0
        while popped < 80_000 {
            let want = pushSizes[step % pushSizes.count]
            let fits = min(want, 8 - Int(pushed - popped))
            let n = ring.push((0..<UInt64(want)).map { pushed + $0 })
            if pushed % 8 + UInt64(n) > 8 { pushWraps += 1 }
            if n > 0 { pushStarts.insert(pushed % 8) }
            pushed += UInt64(n)
            guard n == fits, ring.count == Int(pushed - popped), ring.freeSpace == 8 - ring.count else {
                Issue.record("step \(step): pushed \(n) of \(want) with \(fits) free; count \(ring.count)")
                return
            }

            let held = Int(pushed - popped)
            let expected = Array(popped..<popped + UInt64(min(popSizes[step % popSizes.count], held)))
            let batch = ring.pop(max: popSizes[step % popSizes.count], placeholder: .max)
            guard batch == expected else {
                Issue.record("step \(step): popped \(batch), expected \(expected)")
                return
            }
            if popped % 8 + UInt64(batch.count) > 8 { popWraps += 1 }
            if !batch.isEmpty { popStarts.insert(popped % 8) }
            popped += UInt64(batch.count)
            step += 1
        }
        #expect(popped / 8 >= 10_000, "laps")
        #expect(pushStarts.count == 8 && popStarts.count == 8, "every slot starts a batch")
        #expect(pushWraps > 1000 && popWraps > 1000, "batches straddle the wrap point")
    }

    @Test func reserveAndPeekStopAtTheWrapPoint() {
        let ring = SPSCRing<Int>(capacity: 8)
        #expect(ring.push(Array(0..<6)) == 6)
        #expect(ring.pop(max: 6, placeholder: -1) == Array(0..<6))

        // head = tail = 6: the free space is 8, but only slots 6 and 7 are contiguous.
        let end = ring.reserve(max: 8)
        #expect(end.count == 2)
        end[0] = 100
        end[1] = 101
        ring.commit(2)
        let start = ring.reserve(max: 8)
        #expect(start.count == 6, "slots 0..<6; the rest is unconsumed")
        #expect(start.baseAddress == end.baseAddress! - 6, "the second piece starts the storage")
        for i in 0..<6 { start[i] = 102 + i }
        ring.commit(6)
        #expect(ring.count == 8)
        #expect(ring.reserve(max: 1).isEmpty)

        let first = ring.peek(max: 8)
        #expect(Array(first) == [100, 101], "only the part before the wrap point")
        #expect(ring.count == 8, "peeking removes nothing")
        ring.release(2)
        let second = ring.peek(max: 8)
        #expect(Array(second) == Array(102..<108))
        #expect(second.baseAddress == UnsafePointer(start.baseAddress))
        ring.release(6)
        #expect(ring.isEmpty && ring.peek(max: 8).isEmpty)
    }

    @Test func reserveAndPeekAreBoundedBySpaceContentsAndMax() {
        let ring = SPSCRing<Int>(capacity: 8)
        #expect(ring.push(Array(0..<5)) == 5)
        #expect(ring.reserve(max: 8).count == 3, "3 free")
        #expect(ring.reserve(max: 2).count == 2, "max")
        ring.commit(0)
        #expect(ring.peek(max: 3).count == 3, "max")
        #expect(ring.peek(max: 8).count == 5, "5 held")
        ring.release(0)
        #expect(ring.count == 5)
    }

    @Test func commitAndReleaseMayTakePartsOfTheirWindow() {
        let ring = SPSCRing<Int>(capacity: 8)
        let region = ring.reserve(max: 4)
        for i in 0..<4 { region[i] = 10 + i }
        ring.commit(1)
        #expect(ring.count == 1)
        ring.commit(3)
        #expect(ring.count == 4)
        let records = ring.peek(max: 4)
        #expect(Array(records) == [10, 11, 12, 13])
        ring.release(3)
        #expect(ring.count == 1)
        ring.release(1)
        #expect(ring.isEmpty)
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 4), (5, 8), (8, 8), (9, 16), (1000, 1024)])
    func capacityRoundsUpToAPowerOfTwo(requested: Int, expected: Int) {
        let ring = SPSCRing<UInt8>(capacity: requested)
        #expect(ring.capacity == expected)
        var accepted = 0
        while accepted <= expected, ring.tryPush(UInt8(truncatingIfNeeded: accepted)) { accepted += 1 }
        #expect(accepted == expected)
        #expect(ring.count == expected && ring.freeSpace == 0)
    }

    /// A capacity of 1 is a one-record mailbox, not a ring that is always full.
    @Test func capacityOneHoldsOneRecord() {
        let ring = SPSCRing<Int>(capacity: 1)
        for value in 0..<5 {
            #expect(ring.tryPush(value))
            #expect(!ring.tryPush(-1))
            #expect(ring.tryPop() == value)
            #expect(ring.tryPop() == nil)
        }
    }

    @Test func countAndFreeSpaceFollowPushesAndPops() {
        let ring = SPSCRing<Int>(capacity: 5)
        #expect(ring.count == 0 && ring.freeSpace == 8 && ring.capacity == 8)
        #expect(ring.push(Array(0..<3)) == 3)
        #expect(ring.count == 3 && ring.freeSpace == 5)
        _ = ring.reserve(max: 4)
        #expect(ring.count == 3, "a reservation is not yet contents")
        ring.commit(4)
        #expect(ring.count == 7 && ring.freeSpace == 1)
        _ = ring.tryPop()
        _ = ring.peek(max: 2)
        #expect(ring.count == 6, "a peek is still contents")
        ring.release(2)
        #expect(ring.count == 4 && ring.freeSpace == 4 && !ring.isEmpty)
    }

    @Test func slotsAre64ByteAligned() {
        struct Odd: BitwiseCopyable { var bytes: (UInt8, UInt8, UInt8) }
        let addresses = [
            UInt(bitPattern: SPSCRing<UInt8>(capacity: 3).reserve(max: 1).baseAddress),
            UInt(bitPattern: SPSCRing<Odd>(capacity: 7).reserve(max: 1).baseAddress),
            UInt(bitPattern: SPSCRing<Record32>(capacity: 64).reserve(max: 1).baseAddress),
        ]
        #expect(addresses.allSatisfy { $0 != 0 && $0 % 64 == 0 }, "\(addresses)")
    }

    @Test func thirtyTwoByteRecordsRoundTripBitExactly() {
        #expect(MemoryLayout<Record32>.size == 32 && MemoryLayout<Record32>.stride == 32)
        var random = SplitMix64(seed: 0x32)
        let patterns = [
            Record32(a: 0, b: 0, c: 0, d: 0),
            Record32(a: .max, b: .max, c: .max, d: .max),
            Record32(a: 0x0123_4567_89AB_CDEF, b: 0xFEDC_BA98_7654_3210, c: 0x8000_0000_0000_0001, d: 0x5555_AAAA_5555_AAAA),
        ] + (0..<29).map { _ in Record32(a: random.next(), b: random.next(), c: random.next(), d: random.next()) }
        let ring = SPSCRing<Record32>(capacity: 8)
        var received: [Record32] = []
        for (i, record) in patterns.enumerated() {
            // Cycle through the three ways in and the three ways out.
            switch i % 3 {
            case 0: #expect(ring.tryPush(record))
            case 1: #expect(ring.push([record]) == 1)
            default: #expect(ring.reserveAndCommit([record]) == 1)
            }
            switch i / 3 % 3 {
            case 0: received += [ring.tryPop()].compactMap { $0 }
            case 1: received += ring.pop(max: 1, placeholder: Record32(a: 1, b: 2, c: 3, d: 4))
            default: received += ring.peekAndRelease(max: 1)
            }
        }
        #expect(received.count == patterns.count)
        for (got, sent) in zip(received, patterns) {
            #expect(withUnsafeBytes(of: got) { Array($0) } == withUnsafeBytes(of: sent) { Array($0) })
        }
    }

    /// The indices only grow; after 2^63 records they wrap through `Int.min`,
    /// and `&-` and `& mask` must not notice.
    @Test func indicesWrapThroughIntMax() {
        let ring = SPSCRing<Int>(capacity: 8)
        let start = Int.max - 5
        ring.tail.store(start, ordering: .relaxed)
        ring.head.store(start, ordering: .relaxed)
        ring.cachedHead.pointee = start
        ring.cachedTail.pointee = start
        var next = 0
        var expected = 0
        for _ in 0..<10 {
            next += ring.push(Array(next..<next + 5))
            let batch = ring.pop(max: 3, placeholder: -1) + ring.peekAndRelease(max: 8)
            #expect(batch == Array(expected..<expected + batch.count))
            expected += batch.count
            #expect(ring.count == next - expected)
        }
        #expect(expected == 50)
        #expect(ring.tail.load(ordering: .relaxed) < 0, "the tail went through Int.max")
    }

    /// Random operations of every kind against a plain array as the model.
    @Test func randomOperationsMatchAnArrayModel() {
        let seed: UInt64 = 0x5EED_0001
        var random = SplitMix64(seed: seed)
        let ring = SPSCRing<Int>(capacity: 16)
        var model: [Int] = []
        var next = 0
        for step in 0..<20_000 {
            let n = random.batch(upTo: 20)
            let values = Array(next..<next + n)
            let pushed: Int
            switch random.next() % 4 {
            case 0: pushed = ring.tryPush(next) ? 1 : 0
            case 1: pushed = ring.push(values)
            case 2: pushed = ring.reserveAndCommit(values)
            default: pushed = 0
            }
            model += values.prefix(pushed)
            next += pushed
            let popped: [Int]
            switch random.next() % 4 {
            case 0: popped = [ring.tryPop()].compactMap { $0 }
            case 1: popped = ring.pop(max: random.batch(upTo: 20), placeholder: -1)
            case 2: popped = ring.peekAndRelease(max: random.batch(upTo: 20))
            default: popped = []
            }
            guard popped == Array(model.prefix(popped.count)), ring.count == model.count - popped.count else {
                Issue.record("seed \(seed) step \(step): popped \(popped), model \(model)")
                return
            }
            model.removeFirst(popped.count)
        }
    }

    @Test func commitBeyondTheReservationTraps() async {
        await #expect(processExitsWith: .failure) {
            let ring = SPSCRing<Int>(capacity: 8)
            _ = ring.reserve(max: 2)
            ring.commit(3)
        }
    }

    @Test func pushingEndsTheReservation() async {
        await #expect(processExitsWith: .failure) {
            let ring = SPSCRing<Int>(capacity: 8)
            _ = ring.reserve(max: 2)
            _ = ring.tryPush(1)
            ring.commit(1)
        }
    }

    @Test func releaseBeyondThePeekTraps() async {
        await #expect(processExitsWith: .failure) {
            let ring = SPSCRing<Int>(capacity: 8)
            _ = ring.tryPush(1)
            _ = ring.tryPush(2)
            _ = ring.peek(max: 1)
            ring.release(2)
        }
    }

    @Test func poppingEndsThePeek() async {
        await #expect(processExitsWith: .failure) {
            let ring = SPSCRing<Int>(capacity: 8)
            _ = ring.tryPush(1)
            _ = ring.tryPush(2)
            _ = ring.peek(max: 2)
            _ = ring.tryPop()
            ring.release(1)
        }
    }

    @Test func zeroCapacityTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = SPSCRing<Int>(capacity: 0)
        }
    }
}
