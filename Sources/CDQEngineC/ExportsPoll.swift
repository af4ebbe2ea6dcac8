import CCDQEngine
import CDQEngine
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

// The C entry points of run-to-completion: an engine the caller's thread
// drives with cdq_engine_poll, records to an inline handler (docs/c-api.md).

@_cdecl("cdq_engine_create_run_to_completion")
public func cdqEngineCreateRunToCompletion(
    _ config: UnsafePointer<cdq_engine_config>?, _ handler: cdq_record_handler?, _ context: UnsafeMutableRawPointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(CAPIError) in
        guard let handler else { throw CAPIError(EINVAL, "handler is NULL: a run-to-completion engine hands its records to it") }
        guard RecordLayout.matches else {
            throw CAPIError(ENOTSUP, "this build's CDQRecord layout differs from cdq_record; the library is miscompiled")
        }
        // The records are handed over in place: RecordLayout checked that
        // CDQRecord and cdq_record are the same bytes.
        return try createEngine(config, out) { configuration throws(SystemError) in
            try Engine(runToCompletion: configuration, onRecords: { run in
                handler(context, UnsafeRawPointer(run.baseAddress)?.assumingMemoryBound(to: cdq_record.self), run.count)
            })
        }
    }
}

@_cdecl("cdq_engine_poll")
public func cdqEnginePoll(_ handle: OpaquePointer?, _ timeoutNanoseconds: Int64) -> Int64 {
    let engine: Engine
    do { engine = try Handles.engines.object(handle).engine } catch { return Int64(failed(error)) }
    do {
        return Int64(try engine.poll(timeoutNanoseconds: timeoutNanoseconds < 0 ? .max : UInt64(timeoutNanoseconds)))
    } catch {
        return Int64(failed(Errno.of(error)))
    }
}
