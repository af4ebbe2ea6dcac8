// cdq-soak: 4,096 CDQs under mixed load, faults and queue churn for
// SOAK_SECONDS (`make soak`); fails if descriptors, resident or mapped
// memory grow past a small bound (docs/testing.md).

#if canImport(Glibc)
import Glibc
#endif

var queues = 4096
var seconds = 600
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next().flatMap({ Int($0) }), value > 0 else {
        print("usage: cdq-soak [--queues N (1...4096)] [--seconds S]")
        exit(2)
    }
    switch flag {
    case "--queues": queues = min(value, 4096)
    case "--seconds": seconds = value
    default:
        print("cdq-soak: unknown option \(flag)")
        exit(2)
    }
}
do {
    print("cdq-soak: \(queues) queues, \(seconds) s")
    exit(try Soak(queues: queues, seconds: seconds).run() ? 0 : 1)
} catch {
    print("cdq-soak: \(error)")
    exit(3)
}
