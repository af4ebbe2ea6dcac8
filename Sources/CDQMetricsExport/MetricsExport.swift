import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// cdqctl's metrics backend: swift-metrics bootstrapped onto a Prometheus
/// registry, exposed over HTTP/1 (`--metrics-listen`, one event loop
/// thread) and/or written as a node_exporter textfile (`--metrics-file`,
/// every `fileIntervalSeconds` on the same thread, and once more at
/// `shutdown`). The libraries only see the swift-metrics API.
public final class MetricsExport: @unchecked Sendable {
    // @unchecked: set up in init, torn down in shutdown, from one thread.

    public let registry = PrometheusCollectorRegistry()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var server: Channel?
    private var writer: TextfileWriter?
    private var fileTask: RepeatedTask?
    /// Where the server listens (the port chosen when 0 was asked for).
    public private(set) var boundAddress: ListenAddress?

    public init(listen: ListenAddress?, file: String?, fileIntervalSeconds: Double = 1) throws {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        do {
            if let listen { try serve(listen) }
            if let file { try startWriting(file, every: fileIntervalSeconds) }
        } catch {
            shutdown()
            throw error
        }
    }

    private func serve(_ address: ListenAddress) throws {
        let registry = self.registry
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
        let channel = try bootstrap.bind(host: address.host, port: address.port).wait()
        server = channel
        boundAddress = ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
    }

    private func startWriting(_ path: String, every seconds: Double) throws {
        let writer = TextfileWriter(path: path)
        try writer.write(registry.emitToBuffer()) // a path that cannot be written is an error now, not later
        self.writer = writer
        let registry = self.registry
        let interval = TimeAmount.nanoseconds(Int64(seconds * 1e9))
        fileTask = group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            try? writer.write(registry.emitToBuffer())
        }
    }

    /// Writes the file a last time (the final figures), stops the server.
    /// Returns the error of that last write, if any.
    @discardableResult
    public func shutdown() -> Error? {
        fileTask?.cancel()
        fileTask = nil
        var failure: Error?
        if let writer {
            do { try writer.write(registry.emitToBuffer()) } catch { failure = error }
        }
        writer = nil
        try? server?.close().wait()
        server = nil
        try? group.syncShutdownGracefully()
        return failure
    }
}
