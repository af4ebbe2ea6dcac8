import CDQTestSupport
import Foundation
import Testing

/// Every numeric flag of every verb, given the values a careless script
/// gives: a usage error (64) with a message, or a clean run or refusal
/// (0, 1, 3); never a trap or a signal.
@Suite struct ExtremeArgumentTests {
    static let values = ["0", "-1", "99999999999999999999999", "18446744073709551615", "9000000T", "abc", "nan", "inf", "1e300"]

    /// A verb's arguments that work on this machine, and its numeric flags.
    struct Verb: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var options: KeyValuePairs<String, String>
        var numericFlags: [String]
        var testDescription: String { arguments.first! + " " + numericFlags.joined(separator: " ") }
    }

    static let missing = "/dev/nvme-missing"
    static let verbs: [Verb] = [
        Verb(arguments: ["identify", missing], options: [:], numericFlags: ["--namespace"]),
        Verb(arguments: ["create-cdq", missing], options: ["--cntlid": "1"], numericFlags: ["--cntlid", "--entries", "--queue-type"]),
        Verb(arguments: ["delete-cdq", missing], options: ["--cdqid": "1"], numericFlags: ["--cdqid"]),
        Verb(arguments: ["track-send", missing, "--start"], options: ["--cdqid": "1"], numericFlags: ["--cdqid"]),
        Verb(arguments: ["set-cdq", missing], options: ["--cdqid": "1", "--head": "0"], numericFlags: ["--cdqid", "--head", "--trigger"]),
        Verb(arguments: ["get-cdq", missing], options: ["--cdqid": "1"], numericFlags: ["--cdqid"]),
        Verb(arguments: ["migration-send", missing, "--suspend"], options: ["--cntlid": "1"], numericFlags: ["--cntlid"]),
        Verb(arguments: ["migration-recv", missing], options: ["--cntlid": "1"], numericFlags: ["--cntlid", "--offset", "--size"]),
        Verb(arguments: ["migrate", missing, "--source", "/dev/null"], options: ["--cntlid": "1"], numericFlags: ["--cntlid", "--nsid"]),
        Verb(arguments: ["migrate", "--simulate", "--force"],
             options: ["--namespace-size": "1M", "--writers": "1", "--write-rate": "500"],
             numericFlags: ["--namespace-size", "--writers", "--write-rate", "--depth", "--chunk-size", "--granularity",
                            "--threshold", "--max-rounds", "--queue-entries"]),
        Verb(arguments: ["watch", "--simulate"], options: ["--cntlid": "1", "--seconds": "0.2"],
             numericFlags: ["--cntlid", "--entries", "--seconds", "--interval", "--writers", "--write-rate"]),
    ]

    @Test(arguments: verbs)
    func noValueOfAnyNumericFlagTraps(verb: Verb) throws {
        let scratch = try MigrateHardeningTests.Scratch("extreme")
        for flag in verb.numericFlags {
            for value in Self.values {
                var arguments = verb.arguments
                for (option, standard) in verb.options where option != flag { arguments += [option, standard] }
                arguments += [flag, value]
                if verb.arguments.first == "migrate" { arguments += ["--destination", "\(scratch.path)/destination.img"] }
                let run = try CDQCtlTests.tool.run(arguments, timeoutSeconds: 60, environment: ["TMPDIR": scratch.path])
                let command = arguments.joined(separator: " ")
                #expect([0, 1, 3, 64].contains(run.status), "\(command): status \(run.status), \(run.stderr)")
                if run.status == 64 { #expect(!run.stderr.isEmpty, "\(command): no message") }
                #expect(scratch.leftovers.isEmpty, "\(command) left \(scratch.leftovers)")
            }
        }
    }
}
