import CDQTestSupport
import Testing

/// `cdqctl cleanup` and `delete-cdq` as a script sees them without a
/// device; the rules themselves are unit-tested (OrphanCleanupTests) and
/// the guest run cleans up on a real controller with nothing left.
@Suite struct CleanupTests {
    @Test func cleanupIsAVerbAndRefusesWhatIsNotAController() throws {
        let help = try CDQCtlTests().cdqctl("--help")
        #expect(help.stdout.contains("  cleanup "))
        let run = try CDQCtlTests().cdqctl("cleanup", "/dev/null", "--json")
        #expect(run.status == 3)
        #expect(run.stdout.contains("is not an NVMe character device"))
        let delete = try CDQCtlTests().cdqctl("delete-cdq", "/dev/null", "--cdqid", "1")
        #expect(delete.status == 3, "nothing is deleted on a device that is not a controller")
    }
}
