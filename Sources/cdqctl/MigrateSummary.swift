import CDQMigration
import CDQMigrationSimulator

/// What `cdqctl migrate` prints at the end: text, or the fields of `--json`.
struct MigrateSummary {
    /// What was migrated, in words: the first line of the text summary.
    let source: String
    let destination: String
    let report: MigrationReport
    let sequentialBytesPerSecond: Double?

    var fields: [(String, JSON)] {
        var fields: [(String, JSON)] = [
            ("rounds", .uint(report.rounds)),
            ("bulk_bytes", .uint(report.bulkBytes)),
            ("recopied_bytes", .uint(report.recopiedBytes)),
            ("final_bytes", .uint(report.finalBytes)),
            ("logged_bytes", .uint(report.loggedBytes)),
            ("logged_entries", .uint(report.loggedEntries)),
            ("recopied_per_logged_byte", .number(report.recopiedPerLoggedByte)),
            ("downtime_ms", .number(Double(report.downtimeNanoseconds) / 1e6)),
            ("overflowed", .bool(report.overflowed)),
            ("overflow_events", .uint(report.overflowEvents)),
            ("untrusted_entries", .object(report.untrustedEntries.sorted { $0.key < $1.key }.map { ($0.key, .uint($0.value)) })),
            ("verified", report.verified.map(JSON.bool) ?? .null),
            ("bulk_mib_per_second", .number(report.bulkBytesPerSecond / 1_048_576)),
            ("total_seconds", .number(Double(report.totalNanoseconds) / 1e9)),
            ("stop_reason", .string(report.stopReason)),
            ("last_entry_missing", .bool(report.lastEntryMissing)),
            ("suspend_confirmed_by_controller_state", .bool(report.suspendConfirmedByControllerState)),
            ("registered_buffers", .bool(report.registeredBuffers)),
            ("direct_destination", .bool(report.directDestination)),
            ("destination_kind", .string(report.destinationKind.rawValue)),
        ]
        if let sequential = sequentialBytesPerSecond {
            fields.append(("sequential_mib_per_second", .number(sequential / 1_048_576)))
            fields.append(("bulk_to_sequential", .number(report.bulkBytesPerSecond / sequential)))
        }
        return fields
    }

    var text: String {
        var lines = [
            "cdqctl migrate: \(source) -> \(destination)\(report.destinationKind == .nbd ? " (NBD export)" : "")",
            "  bulk copy:        \(mebibytes(report.bulkBytes)) in \(decimal(Double(report.bulkNanoseconds) / 1e9, 2)) s "
                + "(\(decimal(report.bulkBytesPerSecond / 1_048_576, 0)) MiB/s\(report.registeredBuffers ? ", registered buffers" : "")"
                + "\(report.directDestination ? ", O_DIRECT destination" : ""))",
        ]
        if let sequential = sequentialBytesPerSecond {
            lines.append("  sequential copy:  \(decimal(sequential / 1_048_576, 0)) MiB/s; bulk copy at "
                + "\(decimal(100 * report.bulkBytesPerSecond / sequential, 0)) % of it")
        }
        lines += [
            "  rounds:           \(report.rounds) (\(report.stopReason))",
            "  logged:           \(report.loggedEntries) entries, \(mebibytes(report.loggedBytes))",
            "  re-copied:        \(mebibytes(report.recopiedBytes)) (\(decimal(report.recopiedPerLoggedByte, 2)) per logged byte), "
                + "\(mebibytes(report.finalBytes)) of it while suspended",
            "  overflow events:  \(report.overflowEvents)",
            "  untrusted:        \(MigrateSummary.untrustedText(report.untrustedEntries))",
            "  downtime:         \(decimal(Double(report.downtimeNanoseconds) / 1e6, 1)) ms",
            "  verified:         \(report.verified.map { $0 ? "true" : "false" } ?? "not asked (--verify)")",
        ]
        return lines.joined(separator: "\n")
    }
}

func mebibytes(_ bytes: UInt64) -> String { "\(decimal(Double(bytes) / 1_048_576, 1)) MiB" }

func decimal(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return "-" }
    // Past what an Int holds, the rounding below would trap.
    guard abs(value) < 1e15 else { return "\(value)" }
    var scale = 1.0
    for _ in 0 ..< places { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return places == 0 ? String(Int(rounded)) : String(rounded)
}

extension MigrateSummary {
    /// "0", or "3, each a full re-copy (reserved_esa 2, unexpected_last 1)".
    static func untrustedText(_ counts: [String: Int]) -> String {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return "0" }
        let kinds = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(total), each a full re-copy (\(kinds))"
    }

    /// The source line of a simulated migration.
    static func describe(_ setup: SimulatedMigrationSetup) -> String {
        "\(mebibytes(setup.namespaceBytes)) simulated namespace, \(setup.writers) writers at "
            + "\(decimal(setup.writesPerSecond, 0)) writes/s (\(setup.skew ? "80/20 hot spot" : "uniform"))"
    }
}
