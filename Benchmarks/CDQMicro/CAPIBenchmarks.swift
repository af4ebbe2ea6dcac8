// Popping through the C interface (include/cdq_engine.h) against popping
// through the Swift Consumer, in batches of 64, on the same kind of ring.
// The C functions are called through their C declarations, as a C agent
// calls them. Each iteration first pushes 64 records as the engine loop
// would; "push only" measures that share, to subtract from both.

import Benchmark
import CCDQEngine
import CDQEngine
import CDQEngineC

let capiBenchmarks: @Sendable () -> Void = {
    Benchmark("Consumer batch 64: push only (baseline share)") { benchmark in
        let consumer = try Consumer(capacity: 1024)
        let records = batchOfRecords()
        defer { records.deallocate() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = consumer.ring.push(contentsOf: UnsafeBufferPointer(records))
            blackHole(consumer.ring.peek(max: 64).count)
            consumer.ring.release(64)
        }
    }

    Benchmark("Consumer batch 64: Swift peek/release") { benchmark in
        let consumer = try Consumer(capacity: 1024)
        let records = batchOfRecords()
        defer { records.deallocate() }
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = consumer.ring.push(contentsOf: UnsafeBufferPointer(records))
            let batch = consumer.peek(max: 64)
            for record in batch { sum &+= record.raw.1 &+ UInt64(record.queue) }
            consumer.release(batch.count)
        }
        benchmark.stopMeasurement()
        precondition(sum == expectedSum(benchmark.scaledIterations.count))
    }

    Benchmark("Consumer batch 64: C cdq_consumer_peek/release") { benchmark in
        var handle: OpaquePointer?
        precondition(cdq_consumer_create(1024, &handle) == 0)
        defer { _ = cdq_consumer_destroy(handle) }
        let consumer = CHandleObjects.consumer(handle)!
        let records = batchOfRecords()
        defer { records.deallocate() }
        var sum: UInt64 = 0
        var batch: UnsafePointer<cdq_record>?
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = consumer.ring.push(contentsOf: UnsafeBufferPointer(records))
            let count = cdq_consumer_peek(handle, 64, &batch)
            for index in 0..<Int(count) {
                let record = batch.unsafelyUnwrapped + index
                sum &+= UnsafeRawPointer(record).load(fromByteOffset: 8, as: UInt64.self) &+ UInt64(record.pointee.queue)
            }
            _ = cdq_consumer_release(handle, Int(count))
        }
        benchmark.stopMeasurement()
        precondition(sum == expectedSum(benchmark.scaledIterations.count))
    }

    Benchmark("Consumer batch 64: Swift pop (copy)") { benchmark in
        let consumer = try Consumer(capacity: 1024)
        let records = batchOfRecords()
        let output = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 64)
        defer { records.deallocate(); output.deallocate() }
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = consumer.ring.push(contentsOf: UnsafeBufferPointer(records))
            let count = consumer.pop(into: output)
            for index in 0..<count { sum &+= output[index].raw.1 &+ UInt64(output[index].queue) }
        }
        benchmark.stopMeasurement()
        precondition(sum == expectedSum(benchmark.scaledIterations.count))
    }

    Benchmark("Consumer batch 64: C cdq_consumer_pop (copy)") { benchmark in
        var handle: OpaquePointer?
        precondition(cdq_consumer_create(1024, &handle) == 0)
        defer { _ = cdq_consumer_destroy(handle) }
        let consumer = CHandleObjects.consumer(handle)!
        let records = batchOfRecords()
        let output = UnsafeMutablePointer<cdq_record>.allocate(capacity: 64)
        defer { records.deallocate(); output.deallocate() }
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = consumer.ring.push(contentsOf: UnsafeBufferPointer(records))
            let count = cdq_consumer_pop(handle, output, 64)
            for index in 0..<Int(count) {
                sum &+= UnsafeRawPointer(output + index).load(fromByteOffset: 8, as: UInt64.self) &+ UInt64(output[index].queue)
            }
        }
        benchmark.stopMeasurement()
        precondition(sum == expectedSum(benchmark.scaledIterations.count))
    }
}

/// 64 records of queues 0...63 whose second word is their index.
private func batchOfRecords() -> UnsafeMutableBufferPointer<CDQRecord> {
    let records = UnsafeMutableBufferPointer<CDQRecord>.allocate(capacity: 64)
    for index in 0..<64 {
        records[index] = CDQRecord(raw: (0, UInt64(index), 0, 0), queue: UInt32(index), cdqid: 1, kind: .entry)
    }
    return records
}

/// What summing `raw.1 + queue` over `iterations` batches gives: 2 * (0 + ... + 63) each.
private func expectedSum(_ iterations: Int) -> UInt64 { UInt64(iterations) * 2 * 2016 }
