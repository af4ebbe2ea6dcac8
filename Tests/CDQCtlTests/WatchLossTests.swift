import CDQUring
import Foundation
import Testing

/// `cdqctl watch` when the controller misbehaves (the hidden
/// `--simulate-fault`): a lost queue ends the watch at once with exit
/// status 3 and the reason; a hostile entry is shown and counted.
extension WatchTests {
    @Test(arguments: ["delete-queue", "reset"])
    func aLostQueueEndsTheWatchWithExitThreeAndTheReason(_ fault: String) throws {
        let start = MonotonicClock.nanoseconds()
        let run = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--write-rate", "500", "--seconds", "20",
                                           "--simulate-fault", fault)
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("cdqctl: CDQID 1 was lost: the controller no longer knows the queue"))
        #expect(run.stdout.hasSuffix("queue lost: the controller no longer knows the queue (Invalid Controller Data Queue: deleted or reset)\n"))
        #expect(MonotonicClock.nanoseconds() - start < 15_000_000_000, "ended long before --seconds")
    }

    @Test func aHostileEntryIsShownCountedAndTheWatchGoesOn() throws {
        let run = try CDQCtlTests().cdqctl("watch", "--simulate", "--cntlid", "1", "--write-rate", "500", "--seconds", "1",
                                           "--simulate-fault", "hostile-entry", "--json")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let problems = lines(run.stdout).filter { $0["status"] as? String == "problem-reserved-esa" }
        #expect(problems.count == 1)
        #expect(run.stderr.contains("1 problems"))
    }
}
