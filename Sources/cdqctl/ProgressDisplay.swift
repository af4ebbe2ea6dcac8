import CDQMigration
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// Shows a migration's progress: a bar redrawn in place on a terminal,
/// or plain lines (at most one a second, and one per phase) otherwise.
/// Goes to standard error under `--json`, so standard output stays one object.
final class ProgressDisplay {
    private let descriptor: Int32
    private let terminal: Bool
    private var lastPhase: MigrationProgress.Phase?
    private var lastLine: UInt64 = 0
    private var drawn = false

    init(toStandardError: Bool) {
        descriptor = toStandardError ? 2 : 1
        terminal = isatty(descriptor) != 0
    }

    func show(_ progress: MigrationProgress) {
        let now = MonotonicClock.nanoseconds()
        if terminal {
            write("\r" + line(progress, bar: true) + "\u{1B}[K")
            drawn = true
        } else if progress.phase != lastPhase || progress.copiedBytes == progress.phaseBytes || now - lastLine >= 1_000_000_000 {
            write(line(progress, bar: false) + "\n")
            lastLine = now
        }
        lastPhase = progress.phase
    }

    func finish() {
        if drawn { write("\n") }
    }

    private func line(_ progress: MigrationProgress, bar: Bool) -> String {
        let fraction = progress.phaseBytes == 0 ? 1 : Double(progress.copiedBytes) / Double(progress.phaseBytes)
        let phase: String = switch progress.phase {
        case .bulk: "bulk copy"
        case .round(let round): "round \(round)"
        case .suspended: "suspended, final copy"
        case .verifying: "verifying"
        }
        let width = 30
        let filled = min(width, Int(fraction * Double(width)))
        let graphic = bar ? "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " : ""
        return "\(graphic)\(phase): \(mebibytes(progress.copiedBytes)) of \(mebibytes(progress.phaseBytes)), "
            + "dirty backlog \(mebibytes(progress.dirtyBacklogBytes))"
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(descriptor, &bytes, bytes.count)
    }
}
