/// `for await record in consumer.records()`: the consumer ring as an
/// AsyncSequence, for code that lives in Swift concurrency and values
/// convenience over latency.
///
/// Off the hot path on purpose: a task must not block a cooperative thread
/// on the ready eventfd, so an empty ring is re-checked after a short sleep
/// that grows from 50 µs to 5 ms while nothing arrives. Threads that need
/// the lowest latency use `wait`/`pop` (or `peek`/`release`) instead. The
/// sequence ends when the task is cancelled; one iterator per consumer, on
/// one task at a time (the ring has one consumer).
public struct ConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = CDQRecord
    let consumer: Consumer

    public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer) }

    public struct Iterator: AsyncIteratorProtocol {
        let consumer: Consumer

        public mutating func next() async -> CDQRecord? {
            var pause: UInt64 = 50_000
            while !Task.isCancelled {
                if let record = consumer.tryPop() { return record }
                try? await Task.sleep(nanoseconds: pause)
                pause = Swift.min(pause * 2, 5_000_000)
            }
            return nil
        }
    }
}

extension Consumer {
    /// The records as an AsyncSequence (see `ConsumerRecords` for its costs).
    public func records() -> ConsumerRecords { ConsumerRecords(consumer: self) }
}
