import Foundation

/// A second "host" on this machine: a network namespace joined to this one
/// by a veth pair, each end with its own address in a /24 of 10.77.0.0/16
/// that nothing else uses. Traffic to `remoteAddress` crosses the pair: a
/// real network hop, with its own stack on the far side.
///
/// Needs root and iproute2; `create` returns nil with the reason when the
/// namespace cannot be made, so a test can say why it skips. `remove`
/// (also on deinit) deletes the namespace and with it the pair.
public final class NetworkNamespace {
    public let name: String
    public let localAddress: String
    public let remoteAddress: String
    private let hostLink: String
    private let farLink: String
    private var removed = false

    /// Names carry the creating process's id, so a namespace left by a
    /// process that died is recognised and removed by the next one.
    static let prefix = "cdq-test-"

    public static func create(index: Int = 0) -> Result<NetworkNamespace, NBDServerError> {
        removeAbandoned()
        let pid = Int(getpid())
        let name = "\(prefix)\(pid)-\(index)"
        // Interface names are at most 15 bytes.
        let host = "cdqh\(pid % 100_000)x\(index)", far = "cdqn\(pid % 100_000)x\(index)"
        let subnet = "10.77.\((pid * 4 + index) % 250 + 1)"
        let namespace = NetworkNamespace(name: name, local: "\(subnet).1", remote: "\(subnet).2", hostLink: host, farLink: far)
        let ip = "/usr/sbin/ip"
        do {
            try runCommand([ip, "netns", "add", name])
            try runCommand([ip, "link", "add", host, "type", "veth", "peer", "name", far])
            try runCommand([ip, "link", "set", far, "netns", name])
            try runCommand([ip, "addr", "add", "\(subnet).1/24", "dev", host])
            try runCommand([ip, "link", "set", host, "up"])
            try runCommand([ip, "netns", "exec", name, ip, "addr", "add", "\(subnet).2/24", "dev", far])
            try runCommand([ip, "netns", "exec", name, ip, "link", "set", far, "up"])
            try runCommand([ip, "netns", "exec", name, ip, "link", "set", "lo", "up"])
        } catch {
            namespace.remove()
            return .failure(error as? NBDServerError ?? NBDServerError("\(error)"))
        }
        return .success(namespace)
    }

    private init(name: String, local: String, remote: String, hostLink: String, farLink: String) {
        self.name = name
        localAddress = local
        remoteAddress = remote
        self.hostLink = hostLink
        self.farLink = farLink
    }

    /// Takes the far end's link down: the far host vanishes from the
    /// network without a word (no reset, no more acknowledgements).
    public func cutOff() throws {
        try runCommand(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/ip", "link", "set", farLink, "down"])
    }

    deinit { remove() }

    /// Deletes the namespace (and so the far end of the pair, and the pair).
    public func remove() {
        guard !removed else { return }
        removed = true
        try? runCommand(["/usr/sbin/ip", "link", "del", hostLink])
        try? runCommand(["/usr/sbin/ip", "netns", "del", name])
    }

    /// Deletes namespaces of this prefix, and host ends of veth pairs,
    /// whose process is gone (killed before it could clean up; a namespace
    /// whose name is gone can outlive it for a while, and its pair with it).
    static func removeAbandoned() {
        if let links = try? runCommand(["/usr/sbin/ip", "-o", "link", "show"]) {
            for line in links.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count > 1 else { continue }
                let link = String(fields[1].split(separator: "@").first ?? "").replacingOccurrences(of: ":", with: "")
                guard link.hasPrefix("cdqh"), let pid = Int32(link.dropFirst(4).split(separator: "x").first ?? ""),
                      kill(pid, 0) != 0 else { continue }
                try? runCommand(["/usr/sbin/ip", "link", "del", link])
            }
        }
        guard let list = try? runCommand(["/usr/sbin/ip", "netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).split(separator: "-").first ?? ""),
                  kill(pid, 0) != 0 else { continue }
            try? runCommand(["/usr/sbin/ip", "netns", "del", name])
        }
    }
}
