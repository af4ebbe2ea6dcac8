// One producer thread and one consumer thread through a small ring: every
// record must arrive exactly once, in order, intact.

import CDQTestSupport
import CDQQueues
import Foundation
import Testing

/// What the consumer saw.
struct ConsumerReport: Sendable {
    var received: UInt64 = 0
    var lastSequence: UInt64?
    var firstProblem: String?
    var ringEmptyAtEnd = false
    /// Times the consumer found the ring empty: the run must cross it often.
    var emptyEpisodes = 0
}

/// The records are `Record32.numbered(0..<total)`. Batch sizes are random up
/// to a little more than the capacity, so batches are clamped by space,
/// contents and the wrap point; each batch goes through one of the three
/// producer and one of the three consumer paths.
struct StressRun: Sendable {
    let ring: SPSCRing<Record32>
    let total: UInt64
    let seed: UInt64

    var maxBatch: Int { ring.capacity + 16 }

    /// Returns how often it found the ring full.
    func produce() -> Int {
        var random = SplitMix64(seed: seed)
        var scratch = [Record32](repeating: .numbered(0), count: maxBatch)
        var next: UInt64 = 0
        var stall = Stall()
        while next < total {
            let n = min(random.batch(upTo: maxBatch), Int(total - next))
            let pushed: Int
            switch random.next() % 3 {
            case 0: pushed = pushOneByOne(from: next, count: n)
            case 1: pushed = pushBatch(from: next, count: n, scratch: &scratch)
            default: pushed = reserveAndCommit(from: next, count: n, random: &random)
            }
            next += UInt64(pushed)
            if !stall.wait(progress: pushed) { break }
        }
        return stall.episodes
    }

    func pushOneByOne(from first: UInt64, count: Int) -> Int {
        for i in 0..<count where !ring.tryPush(.numbered(first + UInt64(i))) {
            return i
        }
        return count
    }

    func pushBatch(from first: UInt64, count: Int, scratch: inout [Record32]) -> Int {
        for i in 0..<count { scratch[i] = .numbered(first + UInt64(i)) }
        return scratch.withUnsafeBufferPointer { ring.push(contentsOf: UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// Commits in two parts, to exercise partial commits.
    func reserveAndCommit(from first: UInt64, count: Int, random: inout SplitMix64) -> Int {
        let region = ring.reserve(max: count)
        for i in region.indices { region[i] = .numbered(first + UInt64(i)) }
        let part = region.isEmpty ? 0 : Int(random.next() % UInt64(region.count + 1))
        ring.commit(part)
        ring.commit(region.count - part)
        return region.count
    }

    func consume() -> ConsumerReport {
        var random = SplitMix64(seed: ~seed)
        var scratch = [Record32](repeating: .numbered(0), count: maxBatch)
        var report = ConsumerReport()
        var stall = Stall()
        while report.received < total {
            let n = random.batch(upTo: maxBatch)
            let popped: Int
            switch random.next() % 3 {
            case 0: popped = popOneByOne(count: n, into: &report)
            case 1: popped = popBatch(count: n, scratch: &scratch, into: &report)
            default: popped = peekAndRelease(count: n, random: &random, into: &report)
            }
            if !stall.wait(progress: popped) {
                report.firstProblem = report.firstProblem ?? "stalled after \(report.received) records"
                break
            }
        }
        report.emptyEpisodes = stall.episodes
        report.ringEmptyAtEnd = ring.isEmpty && ring.tryPop() == nil
        return report
    }

    func popOneByOne(count: Int, into report: inout ConsumerReport) -> Int {
        for i in 0..<count {
            guard let record = ring.tryPop() else { return i }
            check(record, into: &report)
        }
        return count
    }

    func popBatch(count: Int, scratch: inout [Record32], into report: inout ConsumerReport) -> Int {
        let popped = scratch.withUnsafeMutableBufferPointer {
            ring.pop(into: UnsafeMutableBufferPointer(rebasing: $0[..<count]))
        }
        for record in scratch[..<popped] { check(record, into: &report) }
        return popped
    }

    /// Releases in two parts, to exercise partial releases.
    func peekAndRelease(count: Int, random: inout SplitMix64, into report: inout ConsumerReport) -> Int {
        let region = ring.peek(max: count)
        for record in region { check(record, into: &report) }
        let part = region.isEmpty ? 0 : Int(random.next() % UInt64(region.count + 1))
        ring.release(part)
        ring.release(region.count - part)
        return region.count
    }

    /// Each record must be intact and follow the previous one.
    func check(_ record: Record32, into report: inout ConsumerReport) {
        let expected = report.lastSequence.map { $0 + 1 } ?? 0
        if report.firstProblem == nil, !record.isIntact || record.a != expected {
            report.firstProblem = "record \(report.received): got \(record), expected sequence \(expected)"
        }
        report.lastSequence = record.a
        report.received += 1
    }
}

/// Waiting for the other thread. Spins a little first (the other thread is
/// probably running on the other core and about to make room or records),
/// then sleeps 10 us at a time: on a loaded machine `sched_yield` kept giving
/// the core back to the waiting thread and made runs 30 times slower. Ends a
/// run that made no progress for seconds, e.g. because a record was lost.
struct Stall {
    /// Times the thread had to wait: how often the ring was full or empty.
    var episodes = 0
    var idle = 0
    var since: ContinuousClock.Instant?

    /// False once `progress` has been 0 for too long.
    mutating func wait(progress: Int) -> Bool {
        guard progress == 0 else {
            idle = 0
            since = nil
            return true
        }
        idle += 1
        if idle == 1 { episodes += 1 }
        if idle < 100 { return true }
        usleep(10)
        let now = ContinuousClock.now
        guard let since else {
            self.since = now
            return true
        }
        return now - since < .seconds(5)
    }
}

/// Runs `body` on a thread of its own and returns its result.
func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Serialized: the two runs would otherwise compete for the cores.
@Suite(.serialized) struct SPSCRingStressTests {
    @Test(arguments: [(64, 5_000_000), (1, 50_000)])
    func oneProducerOneConsumerDeliverEveryRecordOnceInOrder(capacity: Int, total: Int) async {
        let run = StressRun(ring: SPSCRing(capacity: capacity), total: UInt64(total), seed: 0xC0FFEE ^ UInt64(capacity))
        async let fullEpisodes = onOwnThread { run.produce() }
        async let consumed = onOwnThread { run.consume() }
        let report = await consumed
        let full = await fullEpisodes

        #expect(report.firstProblem == nil, "seed \(run.seed)")
        #expect(report.received == UInt64(total))
        #expect(report.lastSequence == UInt64(total) - 1)
        #expect(report.ringEmptyAtEnd)
        // Both boundaries must have been crossed many times, or the run proves little.
        #expect(full > 10 && report.emptyEpisodes > 10, "full \(full) times, empty \(report.emptyEpisodes) times")
    }
}
