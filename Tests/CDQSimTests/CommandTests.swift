import CDQTestSupport
import Testing

/// `cdq-sim` as a user runs it: a seed's trace is the same bytes in every
/// process, a violation exits 1 with its report, and the summary line.
@Suite struct CommandTests {
    static let tool = BuiltTool("cdq-sim")

    @Test func aSeedsTraceIsTheSameBytesInAnotherProcess() throws {
        let first = try Self.tool.run(["--seed", "5", "--trace"])
        let second = try Self.tool.run(["--seed", "5", "--trace"])
        #expect(first.status == 0 && second.status == 0)
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.hasPrefix("seed 5 faults "))
        #expect(first.stdout.split(separator: "\n").count > 100)
    }

    @Test func aViolationExitsOneWithTheSeedAndItsReplay() throws {
        let run = try Self.tool.run(["--seed", "1", "--planted-bug", "second-head-update-in-flight"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("VIOLATION q2: 2 head updates in flight"))
        #expect(run.stdout.contains("seed 1 faults "))
        #expect(run.stdout.contains("replay: cdq-sim --seed 1 --trace"))
    }

    @Test func manySeedsPrintOneSummaryLine() throws {
        let run = try Self.tool.run(["--seeds", "20", "--first", "100"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("seeds 20 violations 0 seeds/s "))
        let bad = try Self.tool.run(["--seeds", "0"])
        #expect(bad.status != 0 && !bad.stderr.isEmpty)
    }
}
