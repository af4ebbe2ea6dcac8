import ArgumentParser
import CDQMigration

/// `--on-untrusted resync|abort`.
extension UntrustedEntryPolicy: ExpressibleByArgument {}
