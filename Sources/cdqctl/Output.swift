import ArgumentParser
import CDQKernel
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

/// Options every verb shares.
struct CommonOptions: ParsableArguments {
    @Argument(help: "NVMe controller character device, e.g. /dev/nvme0.")
    var device: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false
}

/// Prints a result as `key: value` lines or as one JSON object.
func emit(_ fields: [(String, JSON)], json: Bool) {
    if json {
        print(JSON.object(fields).rendered)
        return
    }
    for (key, value) in fields {
        switch value {
        case .string(let s): print("\(key): \(s)")
        case .int(let n): print("\(key): \(n)")
        case .bool(let b): print("\(key): \(b)")
        default: print("\(key): \(value.rendered)")
        }
    }
}

/// Runs a verb's body; any error is printed by name (text on stderr, or a
/// JSON object on stdout with `--json`) and the process exits non-zero:
/// 1 for an NVMe status from the controller (at any depth: passthrough,
/// the RFC ioctl, the engine's admin path, a migration step), with the
/// status's fields and name; 3 for everything else.
func runReportingErrors(json: Bool, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        var message = "\(error)"
        var code: Int32 = 3
        var fields: [(String, JSON)] = []
        if let status = (error as? any CarriesNVMeStatus)?.nvmeStatus {
            code = 1
            if status.matches(.invalidCommandOpcode) {
                message += ": the controller does not implement this command (no live migration support)"
            }
            fields += [
                ("status", .uint(status.rawValue)), ("sct", .uint(status.codeType.rawValue)),
                ("sc", .uint(status.code)), ("dnr", .bool(status.doNotRetry)),
                ("status_name", .string(status.name ?? "Unknown status")),
            ]
        }
        if json {
            print(JSON.object([("error", .string(message))] + fields).rendered)
        } else {
            var stderr = StandardError()
            print("cdqctl: \(message)", to: &stderr)
        }
        throw ExitCode(code)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}

/// Opens the controller and an admin passthrough channel on it.
func openAdmin(_ path: String) throws -> NVMePassthrough {
    let device = try NVMeCharacterDevice(path: path)
    guard device.kind == .controller else {
        throw ValidationError("\(path) is a generic namespace device; admin commands need the controller, /dev/nvmeN")
    }
    return try NVMePassthrough(device: device, depth: 8)
}

/// Runs `body` with a zeroed, page-aligned buffer for a command's data.
func withPageAligned<T>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> T) rethrows -> T {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 4096)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    return try body(buffer)
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

/// A controller's refusal with what it means for this command, the status
/// kept typed so the exit status and JSON fields stay those of a refusal.
struct ExplainedRefusal: Error, CarriesNVMeStatus, CustomStringConvertible {
    let description: String
    let status: NVMeStatus
    var nvmeStatus: NVMeStatus? { status }
}
