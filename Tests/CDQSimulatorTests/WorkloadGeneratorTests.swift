import CDQUring
import CDQNVMe
import CDQSimulator
import Foundation
import Testing

/// An `IOTarget` that counts what it is asked to do, optionally records
/// every operation, checks the stamps of written data, and fails every
/// `failEvery`-th operation with LBA Out of Range.
final class WorkloadCountingTarget: IOTarget {
    struct Seen: Sendable {
        var operations: UInt64 = 0
        var writes: UInt64 = 0
        var deallocates: UInt64 = 0
        var blocksWritten: UInt64 = 0
        var blocksDeallocated: UInt64 = 0
        var writesWithoutData: UInt64 = 0
        var stampedBlocks: UInt64 = 0
        var badStamps: UInt64 = 0
        var recorded: [WorkloadOperation] = []
        /// Sequence of the next write, known from the stamps.
        var lastSequence: UInt64 = 0
    }

    let lbaSize: Int
    let records: Bool
    let failEvery: UInt64
    let seen = Locked(Seen())

    init(lbaSize: Int = 512, records: Bool = false, failEvery: UInt64 = 0) {
        self.lbaSize = lbaSize
        self.records = records
        self.failEvery = failEvery
    }

    func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        seen.withLock { seen in
            seen.writes += 1
            seen.blocksWritten += UInt64(blockCount)
            if let data { check(data, startingLBA: startingLBA, blockCount: blockCount, into: &seen) } else { seen.writesWithoutData += 1 }
            // Without stamps the sequence is unknown; recorded writes carry 0.
            let sequence = data == nil ? 0 : seen.lastSequence
            return count(.write, startingLBA, blockCount, sequence, into: &seen)
        }
    }

    func deallocate(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        seen.withLock { seen in
            seen.deallocates += 1
            seen.blocksDeallocated += UInt64(blockCount)
            return count(.deallocate, startingLBA, blockCount, 0, into: &seen)
        }
    }

    func writeZeroes(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus { .invalidCommandOpcode }

    func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus {
        .invalidCommandOpcode
    }

    private func count(
        _ kind: WorkloadOperation.Kind, _ startingLBA: UInt64, _ blockCount: UInt32, _ sequence: UInt64, into seen: inout Seen
    ) -> NVMeStatus {
        seen.operations += 1
        if records {
            seen.recorded.append(WorkloadOperation(kind: kind, startingLBA: startingLBA, blockCount: blockCount, sequence: sequence))
        }
        return failEvery != 0 && seen.operations % failEvery == 0 ? .lbaOutOfRange : .success
    }

    /// Every block must carry its own LBA and one sequence number, newer
    /// than the previous write's.
    private func check(_ data: UnsafeRawBufferPointer, startingLBA: UInt64, blockCount: UInt32, into seen: inout Seen) {
        let sequence = WorkloadStamp(block: data)?.sequence ?? 0
        if sequence <= seen.lastSequence { seen.badStamps += 1 }
        seen.lastSequence = sequence
        for block in 0 ..< Int(blockCount) {
            let bytes = UnsafeRawBufferPointer(rebasing: data[block * lbaSize ..< (block + 1) * lbaSize])
            if WorkloadStamp(block: bytes) != WorkloadStamp(lba: startingLBA + UInt64(block), sequence: sequence) {
                seen.badStamps += 1
            }
            seen.stampedBlocks += 1
        }
    }
}

/// Recorded operations lose their sequence for deallocates (a target
/// cannot see it); compare the rest.
func workloadWithoutDeallocateSequences(_ operations: [WorkloadOperation]) -> [WorkloadOperation] {
    operations.map { operation in
        var copy = operation
        if copy.kind == .deallocate { copy.sequence = 0 }
        return copy
    }
}

@Suite struct WorkloadGeneratorTests {
    @Test func runIssuesTheStreamInOrder() {
        let spec = WorkloadSpec(pattern: .hotSpot(hotFraction: 0.1, hotProbability: 0.9), deallocateFraction: 0.2, seed: 77)
        let target = WorkloadCountingTarget(records: true)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 100_000, lbaSize: 512, spec: spec)
        let statistics = generator.run(operations: 1000)
        #expect(statistics.operations == 1000 && statistics.errors == 0)

        let expected = workloadOperations(spec, capacity: 100_000, count: 1000)
        #expect(target.seen.withLock { $0.recorded } == workloadWithoutDeallocateSequences(expected))
        #expect(target.seen.withLock { $0.badStamps } == 0)
    }

    @Test func nextOperationConsumesTheSameStream() {
        let spec = WorkloadSpec(seed: 5)
        let target = WorkloadCountingTarget(records: true)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: spec)
        let expected = workloadOperations(spec, capacity: 1 << 20, count: 10)
        #expect(generator.operations(count: 5) == Array(expected[0 ..< 5]))
        generator.run(operations: 4)
        #expect(generator.nextOperation() == expected[9])
        #expect(target.seen.withLock { $0.recorded } == Array(expected[5 ..< 9]), "run continues where nextOperation left off")
        #expect(generator.statistics.operations == 4, "looking at operations does not issue them")
    }

    @Test func statisticsOfAThreadEqualWhatTheTargetSaw() async throws {
        let target = WorkloadCountingTarget()
        let spec = WorkloadSpec(deallocateFraction: 0.25, seed: 3)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 24, lbaSize: 512, spec: spec)
        try generator.start()
        // Readable while running, and moving.
        var running = generator.statistics
        for _ in 0 ..< 500 where running.operations < 1000 {
            try await Task.sleep(for: .milliseconds(2))
            running = generator.statistics
        }
        #expect(running.operations >= 1000)
        let statistics = generator.stop()
        let seen = target.seen.withLock { $0 }

        #expect(statistics.operations >= running.operations)
        #expect(statistics.operations == seen.operations)
        #expect(statistics.writes == seen.writes && statistics.deallocates == seen.deallocates)
        #expect(statistics.blocksWritten == seen.blocksWritten && statistics.blocksDeallocated == seen.blocksDeallocated)
        #expect(statistics.operations == statistics.writes + statistics.deallocates)
        #expect(statistics.deallocates > 0 && statistics.errors == 0 && statistics.firstError == nil)
        #expect(statistics.elapsedNanoseconds > 0)
        // Stopped means stopped: nothing arrives afterwards.
        try await Task.sleep(for: .milliseconds(20))
        #expect(target.seen.withLock { $0.operations } == seen.operations)
        #expect(generator.statistics == statistics)
    }

    @Test func aStoppedGeneratorStartsAgainWhereItLeftOff() throws {
        let target = WorkloadCountingTarget()
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: WorkloadSpec(seed: 8))
        #expect(generator.stop() == WorkloadStatistics(), "stopping an idle generator is harmless")
        generator.run(operations: 10)
        try generator.start()
        let first = generator.stop()
        try generator.start()
        let second = generator.stop()
        #expect(first.operations >= 10 && second.operations >= first.operations)
        #expect(second.operations == target.seen.withLock { $0.operations })
        #expect(target.seen.withLock { $0.badStamps } == 0, "sequence numbers keep rising across runs")
    }

    @Test func aPacedGeneratorHoldsItsRate() throws {
        let target = WorkloadCountingTarget()
        let spec = WorkloadSpec(writesPerSecond: 20_000, storesData: false)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: spec)
        try generator.start()
        Thread.sleep(forTimeInterval: 0.3)
        let statistics = generator.stop()
        // About 6,000; generous bounds, as the machine may be busy.
        #expect((3000 ... 9000).contains(statistics.operations), "\(statistics)")
        #expect(statistics.elapsedNanoseconds >= 250_000_000 && statistics.elapsedNanoseconds < 1_000_000_000)
    }

    @Test func aPacedRunTakesItsTime() {
        let spec = WorkloadSpec(writesPerSecond: 10_000, storesData: false)
        let generator = WorkloadGenerator(target: WorkloadCountingTarget(), nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: spec)
        // 1,001 operations at 10,000/s: the first goes at once, the last 0.1 s later.
        let statistics = generator.run(operations: 1001)
        #expect(statistics.operations == 1001)
        #expect(statistics.elapsedNanoseconds >= 100_000_000, "\(statistics)")
    }

    @Test func targetErrorsAreCountedNotFatal() {
        let target = WorkloadCountingTarget(failEvery: 3)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: WorkloadSpec(seed: 9))
        let statistics = generator.run(operations: 300)
        #expect(statistics.operations == 300)
        #expect(statistics.errors == 100)
        #expect(statistics.firstError == .lbaOutOfRange)
    }

    @Test func writesCarryStampsWhenStoringData() {
        let target = WorkloadCountingTarget(lbaSize: 4096)
        let spec = WorkloadSpec(deallocateFraction: 0.1, seed: 21, storesData: true)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 4096, spec: spec)
        let statistics = generator.run(operations: 2000)
        let seen = target.seen.withLock { $0 }
        #expect(seen.writesWithoutData == 0)
        #expect(seen.stampedBlocks == statistics.blocksWritten && seen.stampedBlocks > 0)
        #expect(seen.badStamps == 0)
    }

    @Test func writesCarryNoDataWhenNotStoring() {
        let target = WorkloadCountingTarget()
        let spec = WorkloadSpec(seed: 21, storesData: false)
        let generator = WorkloadGenerator(target: target, nsid: 1, capacity: 1 << 20, lbaSize: 512, spec: spec)
        let statistics = generator.run(operations: 500)
        #expect(target.seen.withLock { $0.writesWithoutData } == statistics.writes)
        #expect(statistics.writes == 500)
    }

    @Test func writesLandInARealNamespace() throws {
        let namespace = try SimulatedNamespace(nsid: 4, lbaSize: 512, capacity: 4096, backing: .memory)
        let target = WorkloadNamespaceTarget(namespace)
        let spec = WorkloadSpec(pattern: .sequential, seed: 2)
        let generator = WorkloadGenerator(target: target, nsid: 4, capacity: 4096, lbaSize: 512, spec: spec)
        let statistics = generator.run(operations: 300)
        #expect(statistics.errors == 0)
        // Sequential from LBA 0: the first block holds the first write's stamp
        // unless a later lap overwrote it; either way the LBA is its own.
        let (status, bytes) = namespaceReadBytes(namespace, at: 0, blocks: 1)
        #expect(status == .success)
        let stamp = bytes.withUnsafeBytes { WorkloadStamp(block: $0) }
        #expect(stamp?.lba == 0 && (stamp?.sequence ?? 0) >= 1)
    }
}

/// Passes a generator's commands to one namespace, as the controller will.
final class WorkloadNamespaceTarget: IOTarget {
    let namespace: SimulatedNamespace
    init(_ namespace: SimulatedNamespace) { self.namespace = namespace }

    func write(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, data: UnsafeRawBufferPointer?) -> NVMeStatus {
        nsid == namespace.nsid ? namespace.write(startingLBA: startingLBA, blockCount: blockCount, data: data) : .invalidNamespaceOrFormat
    }

    func writeZeroes(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        nsid == namespace.nsid ? namespace.writeZeroes(startingLBA: startingLBA, blockCount: blockCount) : .invalidNamespaceOrFormat
    }

    func deallocate(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32) -> NVMeStatus {
        nsid == namespace.nsid ? namespace.deallocate(startingLBA: startingLBA, blockCount: blockCount) : .invalidNamespaceOrFormat
    }

    func read(nsid: UInt32, startingLBA: UInt64, blockCount: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> NVMeStatus {
        nsid == namespace.nsid ? namespace.read(startingLBA: startingLBA, blockCount: blockCount, into: buffer) : .invalidNamespaceOrFormat
    }
}
