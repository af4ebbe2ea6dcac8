// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

/// The soname's number: CDQ_ENGINE_VERSION_MAJOR of include/cdq_engine.h.
let cLibraryMajorVersion = 0

/// Layers, bottom up (docs/architecture.md): each target imports only those below it.
let package = Package(
    name: "cdq-engine",
    products: [
        .library(name: "CDQNVMe", targets: ["CDQNVMe"]),
        .library(name: "CDQUring", targets: ["CDQUring"]),
        .library(name: "CDQQueues", targets: ["CDQQueues"]),
        .library(name: "CDQKernel", targets: ["CDQKernel"]),
        .library(name: "CDQEngine", targets: ["CDQEngine"]),
        .library(name: "CDQSimulator", targets: ["CDQSimulator"]),
        .library(name: "CDQMigration", targets: ["CDQMigration"]),
        .library(name: "CDQMigrationSimulator", targets: ["CDQMigrationSimulator"]),
        .executable(name: "cdqctl", targets: ["cdqctl"]),
        .executable(name: "cdq-kernel-selftest", targets: ["cdq-kernel-selftest"]),
        .executable(name: "cdq-demo", targets: ["cdq-demo"]),
        .executable(name: "cdq-bench", targets: ["cdq-bench"]),
        .executable(name: "cdq-sim", targets: ["cdq-sim"]),
        .executable(name: "cdq-soak", targets: ["cdq-soak"]),
        // The C interface (include/cdq_engine.h): libcdq_engine.so and .a.
        .library(name: "cdq_engine", type: .dynamic, targets: ["CDQEngineCShared"]),
        .library(name: "cdq_engine_static", type: .static, targets: ["CDQEngineC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", exact: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        // Logging and metrics APIs only: the embedder picks the backends.
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        // cdqctl's Prometheus exposition and its HTTP endpoint (CDQMetricsExport only).
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // 1. The C ABI shared with the kernel: liburing and the CDQ RFC ioctl.
        .systemLibrary(
            name: "CCDQ",
            path: "include/CCDQ",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        // libnbd, the NBD client: a migration's destination on another host.
        .systemLibrary(
            name: "CNBD",
            path: "include/CNBD",
            pkgConfig: "libnbd",
            providers: [.apt(["libnbd-dev"])]
        ),
        // 2. NVMe spec model: command images, status, queue entries. No I/O.
        .target(name: "CDQNVMe"),
        // 3. io_uring wrapper: ring, SQE builders, CQE32 access, user_data tags.
        .target(name: "CDQUring", dependencies: ["CCDQ"]),
        // 4. Queue primitives: bounded lock-free rings.
        .target(name: "CDQQueues", dependencies: [.product(name: "Atomics", package: "swift-atomics")]),
        // 5. The engine: one io_uring loop drains many CDQs into consumer rings.
        .target(
            name: "CDQEngine",
            dependencies: [
                "CDQNVMe", "CDQUring", "CDQQueues", "CCDQ",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // 6 (kernel side). NVMe character devices, admin and I/O passthrough.
        .target(name: "CDQKernel", dependencies: ["CDQNVMe", "CDQUring", "CDQEngine", "CCDQ"]),
        // 6 (simulated side). A software NVM subsystem with CDQ support, for
        // tests, benchmarks, demos and users' own tests; never needed in production.
        .target(
            name: "CDQSimulator",
            dependencies: ["CDQNVMe", "CDQQueues", "CDQUring", "CDQEngine", .product(name: "Atomics", package: "swift-atomics")]
        ),
        // 6 (copy engine). Dirty extent map, io_uring copier, pre-copy migrator.
        .target(
            name: "CDQMigration",
            dependencies: [
                "CDQNVMe", "CDQUring", "CDQEngine", "CNBD",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The migrator's controller side on the simulator, and a whole simulated migration.
        .target(
            name: "CDQMigrationSimulator",
            dependencies: ["CDQMigration", "CDQSimulator", "CDQEngine", "CDQNVMe", "CDQUring"]
        ),
        // Deterministic simulation of the queue protocol: the engine's core on
        // a model controller, one thread, virtual time, seeded faults.
        .target(name: "CDQSim", dependencies: ["CDQEngine", "CDQSimulator", "CDQNVMe"]),
        // 7. Users.
        // The C interface: include/cdq_engine.h, implemented with @_cdecl.
        .systemLibrary(name: "CCDQEngine", path: "include/CCDQEngine"),
        .target(
            name: "CDQEngineC",
            dependencies: [
                "CCDQEngine", "CDQEngine", "CDQSimulator", "CDQKernel", "CDQNVMe", "CDQUring", "CDQQueues",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libcdq_engine.so alone: its soname and exported symbols (docs/c-api.md).
        .target(
            name: "CDQEngineCShared",
            dependencies: ["CDQEngineC"],
            linkerSettings: [.unsafeFlags([
                "-Xlinker", "-soname=libcdq_engine.so.\(cLibraryMajorVersion)",
                "-Xlinker", "--version-script=\(Context.packageDirectory)/include/cdq_engine.map",
            ])]
        ),
        // cdqctl's metrics backend: Prometheus text exposition, served over
        // HTTP/1 (SwiftNIO) or written as a node_exporter textfile. Never
        // linked into the libraries.
        .target(
            name: "CDQMetricsExport",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "cdqctl",
            dependencies: [
                "CDQKernel", "CDQNVMe", "CDQEngine", "CDQSimulator", "CDQUring", "CDQMigration", "CDQMigrationSimulator",
                "CDQMetricsExport", .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "cdq-kernel-selftest", dependencies: ["CDQKernel", "CDQNVMe", "CDQEngine", "CDQUring"]),
        .executableTarget(
            name: "cdq-demo",
            dependencies: ["CDQEngine", "CDQSimulator", "CDQNVMe", "CDQUring", .product(name: "Atomics", package: "swift-atomics")]
        ),
        .executableTarget(
            name: "cdq-sim",
            dependencies: ["CDQSim", "CDQEngine", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // 4,096 queues under load, faults and churn; resources sampled each second.
        .executableTarget(
            name: "cdq-soak",
            dependencies: [
                "CDQEngine", "CDQSimulator", "CDQNVMe", "CDQUring", .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // epoll for cdq-bench's baseline (Swift's Glibc module lacks it).
        .systemLibrary(name: "CEpoll", path: "include/CEpoll"),
        .executableTarget(
            name: "cdq-bench",
            dependencies: [
                "CDQEngine", "CDQSimulator", "CDQNVMe", "CDQUring", "CCDQ", "CEpoll",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers the test targets share (a seeded generator, descriptor counts).
        .target(
            name: "CDQTestSupport",
            dependencies: ["CDQUring", "CDQNVMe", .product(name: "Logging", package: "swift-log")],
            path: "Tests/CDQTestSupport"
        ),
        .testTarget(name: "CDQNVMeTests", dependencies: ["CDQNVMe", "CDQTestSupport"]),
        .testTarget(name: "CDQUringTests", dependencies: ["CDQUring", "CCDQ"]),
        .testTarget(name: "CDQKernelTests", dependencies: ["CDQKernel", "CDQNVMe", "CDQUring", "CDQEngine", "CCDQ", "CDQTestSupport"]),
        .testTarget(name: "CDQQueuesTests", dependencies: ["CDQQueues", "CDQTestSupport"]),
        .testTarget(name: "CDQSimulatorTests", dependencies: ["CDQSimulator", "CDQNVMe", "CDQUring", "CDQTestSupport"]),
        .testTarget(
            name: "CDQEngineTests",
            dependencies: [
                "CDQEngine", "CDQSimulator", "CDQNVMe", "CDQUring", "CDQQueues", "CDQTestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "CDQMigrationTests",
            dependencies: [
                "CDQMigration", "CDQMigrationSimulator", "CDQSimulator", "CDQEngine", "CDQNVMe", "CDQUring", "CDQTestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "CDQEngineCTests", dependencies: ["CDQEngineC", "CCDQEngine", "CDQEngine"]),
        // Runs the built cdqctl binary: exit codes and messages are its contract.
        .testTarget(name: "CDQCtlTests", dependencies: ["cdqctl", "CDQTestSupport"]),
        .testTarget(name: "CDQSimTests", dependencies: ["CDQSim", "CDQEngine", "cdq-sim", "CDQTestSupport"]),
        // Runs the built cdq-bench briefly: its JSON and its exactly-once check.
        .testTarget(name: "CDQBenchTests", dependencies: ["cdq-bench", "CDQTestSupport"]),
    ]
)

// Microbenchmarks (Benchmarks/, ordo-one/benchmark) are part of the package
// only when CDQ_BENCHMARKS is set (`make bench` sets it), so that `swift build`
// and `swift test` do not compile the benchmark framework.
if ProcessInfo.processInfo.environment["CDQ_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "CDQMicro",
            dependencies: ["CDQNVMe", "CDQQueues", "CDQSimulator", "CDQMigration", "CDQEngine", "CDQEngineC", "CCDQEngine", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/CDQMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}

// libFuzzer targets (Fuzz/, docs/testing.md) are part of the package only
// when CDQ_FUZZ is set (`make fuzz` sets it, and builds with
// --sanitize=fuzzer in its own scratch path). libFuzzer supplies `main`,
// so the target is compiled as a library (-parse-as-library).
if ProcessInfo.processInfo.environment["CDQ_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "cdq-fuzz",
            dependencies: ["CDQNVMe", "CDQEngine", "CDQEngineC", "CCDQEngine"],
            path: "Fuzz/cdq-fuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
}
