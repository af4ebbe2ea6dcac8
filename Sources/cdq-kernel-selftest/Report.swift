/// Counts checks and prints one line each, in the format the guest's init
/// script and the host's test-kernel.sh parse.
struct Report {
    private(set) var passed = 0
    private(set) var failed = 0

    /// Runs `body`; a thrown error is a FAIL carrying its description.
    @discardableResult
    mutating func check<T>(_ name: String, _ body: () throws -> T) -> T? {
        do {
            let value = try body()
            passed += 1
            print("PASS \(name)")
            return value
        } catch {
            failed += 1
            print("FAIL \(name): \(error)")
            return nil
        }
    }

    func finish() -> Never {
        print("selftest: \(passed) passed, \(failed) failed")
        exit(failed == 0 && passed > 0 ? 0 : 1)
    }
}

/// A check's own failure, with the reason to print.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Asserts `condition` inside a check.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw Failure(message()) }
}

#if canImport(Glibc)
import Glibc
#endif

struct SelftestOptions {
    var controller = "/dev/nvme0"
    var namespace = "/dev/ng0n1"
    /// With `--serial`, the controller must be QEMU's with this serial
    /// number (the project's guest); without, the serial is only read.
    var serial: String?

    static func parse(_ arguments: ArraySlice<String>) -> SelftestOptions {
        var options = SelftestOptions()
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { usage("missing value for \(flag)") }
            switch flag {
            case "--controller": options.controller = value
            case "--namespace": options.namespace = value
            case "--serial": options.serial = value
            default: usage("unknown option \(flag)")
            }
        }
        return options
    }

    static func usage(_ problem: String) -> Never {
        print("cdq-kernel-selftest: \(problem)\nusage: cdq-kernel-selftest [--controller /dev/nvmeN] [--namespace /dev/ngNnM] [--serial S]")
        exit(2)
    }
}
