import CCDQEngine
import CDQEngine
import CDQEngineC
import CDQNVMe

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry point (docs/testing.md, "Fuzzing"): one binary, the
/// target chosen by `CDQ_FUZZ_TARGET`. Every decoder of bytes that come
/// from a controller or a caller gets arbitrary bytes; a trap, an overrun
/// (AddressSanitizer) or a leak is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    switch FuzzTarget.selected {
    case .entry: EntryFuzz.run(input)
    case .asyncEvent: DecoderFuzz.asyncEvent(input)
    case .feature: DecoderFuzz.feature(input)
    case .identify: DecoderFuzz.identify(input)
    case .controllerState: DecoderFuzz.controllerState(input)
    case .cAPI: CAPIFuzz.run(input)
    }
    return 0
}

/// The fuzz targets, by the names `make fuzz` passes.
enum FuzzTarget: String, CaseIterable {
    case entry
    case asyncEvent = "async-event"
    case feature
    case identify
    case controllerState = "controller-state"
    case cAPI = "c-api"

    static let selected: FuzzTarget = {
        guard let name = getenv("CDQ_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            let message = "cdq-fuzz: set CDQ_FUZZ_TARGET to one of: \(names)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        return target
    }()
}

/// Keeps a value alive so the optimizer cannot drop the decode.
@inline(never)
func consume<T>(_ value: T) { withExtendedLifetime(value) {} }
