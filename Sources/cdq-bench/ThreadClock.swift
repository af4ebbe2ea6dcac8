import Foundation

/// CPU time of individual threads of this process, from the scheduler's
/// own account (`/proc/self/task/<tid>/schedstat`, nanoseconds on CPU).
///
/// Threads are found by the tasks that appear while they are created, so
/// threads the libraries start (the engine's loop, the simulated
/// controller) are measured without their cooperation.
enum ThreadClock {
    /// The thread ids of this process now.
    static func tasks() -> Set<Int32> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(names.compactMap { Int32($0) })
    }

    /// Runs `body` and returns its result with the threads it started.
    static func spawned<T>(_ body: () throws -> T) rethrows -> (T, [Int32]) {
        let before = tasks()
        let result = try body()
        return (result, Array(tasks().subtracting(before)).sorted())
    }

    /// Nanoseconds `tid` has run on a CPU; 0 for a thread that is gone.
    static func runtime(_ tid: Int32) -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/schedstat", encoding: .utf8),
              let first = text.split(separator: " ").first else { return 0 }
        return UInt64(first) ?? 0
    }

    /// Nanoseconds all of `tids` have run.
    static func runtime(_ tids: [Int32]) -> UInt64 {
        tids.reduce(0) { $0 + runtime($1) }
    }

    /// Nanoseconds the calling thread has run: the same account, without
    /// knowing its thread id.
    static func callingThread() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
