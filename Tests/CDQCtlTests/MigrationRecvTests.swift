import CDQTestSupport
import Testing

/// `migration-recv --format-version`: the flag is there and is checked
/// before any device is touched (the command image is tested in CDQNVMeTests).
@Suite struct MigrationRecvTests {
    @Test func theFormatVersionIsAnOptionAndItsHelpSaysWhatIsDecoded() throws {
        let help = try CDQCtlTests().cdqctl("migration-recv", "--help")
        #expect(help.stdout.contains("--format-version"))
        #expect(help.stdout.contains("undecoded"))
        let bad = try CDQCtlTests().cdqctl("migration-recv", "/dev/null", "--cntlid", "1", "--format-version", "70000")
        #expect(bad.status == 64, "a version index is 16 bits")
        let notNVMe = try CDQCtlTests().cdqctl("migration-recv", "/dev/null", "--cntlid", "1", "--format-version", "1")
        #expect(notNVMe.status == 3)
    }
}
