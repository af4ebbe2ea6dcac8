import ArgumentParser

/// `cdqctl`: NVMe live-migration admin commands over io_uring passthrough,
/// verb for verb like nvme-cli's `lm` plugin.
@main
struct CDQCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdqctl",
        abstract: "Controller Data Queue and live-migration commands for NVMe controllers, over io_uring.",
        subcommands: [
            Identify.self, CreateCDQ.self, DeleteCDQ.self, TrackSend.self,
            SetCDQ.self, GetCDQ.self, MigrationSend.self, MigrationRecv.self, Migrate.self,
            Watch.self, Cleanup.self,
        ]
    )

    static func main() {
        CommandLogging.bootstrap()
        main(nil)
    }
}
