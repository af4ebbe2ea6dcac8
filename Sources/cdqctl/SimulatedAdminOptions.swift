import ArgumentParser
import CDQSimulator

/// `--admin-latency-us` and `--admin-service-us` of `watch` and `migrate`:
/// the simulated controller's admin cost model (docs/simulator.md), so a
/// user can see what a firmware-speed admin queue does to the engine.
/// Only with `--simulate`; 0 and 0 (the default) is the simulator without it.
struct SimulatedAdminOptions: ParsableArguments {
    @Option(help: "With --simulate: admin latency per command, µs (docs/simulator.md).") var adminLatencyUs: Double?
    @Option(help: "With --simulate: admin service time per command, µs (one command at a time).") var adminServiceUs: Double?

    func validate() throws {
        for (value, name) in [(adminLatencyUs, "--admin-latency-us"), (adminServiceUs, "--admin-service-us")] {
            if let value, let problem = AdminCost.problem(microseconds: value, name: name) { throw ValidationError(problem) }
        }
    }

    /// The options need `--simulate`: a real controller's admin queue has its own cost.
    func check(simulate: Bool) throws {
        if !simulate && (adminLatencyUs != nil || adminServiceUs != nil) {
            throw ValidationError("--admin-latency-us and --admin-service-us need --simulate")
        }
    }

    var cost: AdminCost { AdminCost(latencyMicroseconds: adminLatencyUs ?? 0, serviceMicroseconds: adminServiceUs ?? 0) }
}
