/// `--metrics-listen`'s ADDR:PORT: an IPv4 address or host name, or an IPv6
/// address in brackets ("[::1]:9464"), and a port (0: any free port).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// nil, with `problem` saying why, for anything else.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("["), !host.contains("]"),
              let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    public static let problem = "give ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464 (port 0...65535)"

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
