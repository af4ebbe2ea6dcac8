import CDQUring
import Foundation
import Synchronization
import Testing

@Suite struct OSThreadTests {
    /// The thread carries its name where operators look (`top -H`, `perf`,
    /// /proc/PID/task/TID/comm), cut to the kernel's 15 bytes.
    @Test func aThreadCarriesItsName() throws {
        let seen = Mutex<[String]>([])
        for name in ["cdq engine loop", "a name longer than fifteen bytes"] {
            let thread = try OSThread(name: name) {
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                seen.withLock { $0.append(comm.trimmingCharacters(in: .newlines)) }
            }
            thread.join()
        }
        #expect(seen.withLock { $0 } == ["cdq engine loop", "a name longer t"])
    }
}
