#if canImport(Glibc)
import Glibc
#endif

/// `cdq-demo [--controllers N] [--seconds S] [--rate WRITES_PER_SECOND]`
struct DemoOptions {
    var controllers = 64
    var seconds = 3.0
    /// 64 x 5,000 = 320,000 writes/s: well inside what this 2-core VM's
    /// writer threads, engine and consumer manage together.
    var writesPerSecondPerController = 5_000.0
    var entries: UInt32 = 4096

    static func parse(_ arguments: ArraySlice<String>) -> DemoOptions {
        var options = DemoOptions()
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next(), let number = Double(value), number > 0 else { usage("\(flag) needs a positive number") }
            switch flag {
            case "--controllers": options.controllers = min(Int(number), 4096)
            case "--seconds": options.seconds = number
            case "--rate": options.writesPerSecondPerController = number
            default: usage("unknown option \(flag)")
            }
        }
        return options
    }

    static func usage(_ problem: String) -> Never {
        print("cdq-demo: \(problem)\nusage: cdq-demo [--controllers N] [--seconds S] [--rate WRITES_PER_SECOND_PER_CONTROLLER]")
        exit(2)
    }
}
