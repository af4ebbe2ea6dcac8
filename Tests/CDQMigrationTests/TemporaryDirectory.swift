import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
final class TemporaryDirectory {
    let path: String

    init() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/cdq-migration-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink("\(path)/\(name)") }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    /// Writes `bytes` to a new file `name`; returns its path.
    func file(_ name: String, bytes: [UInt8]) -> String {
        let path = "\(self.path)/\(name)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        precondition(descriptor >= 0, "cannot create \(path)")
        bytes.withUnsafeBytes { _ = write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        return path
    }

    /// The whole content of `name` (or a path).
    func contents(_ path: String) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got <= 0 { return result }
            result += chunk[0 ..< got]
        }
    }
}

/// True when the two files have the same bytes (compared in 1 MiB steps with memcmp).
func sameContents(_ first: String, _ second: String) -> Bool {
    let a = open(first, O_RDONLY), b = open(second, O_RDONLY)
    defer { close(a); close(b) }
    guard a >= 0, b >= 0 else { return false }
    let x = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    let y = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    defer { x.deallocate(); y.deallocate() }
    while true {
        let got = read(a, x, 1 << 20)
        var other = 0
        while other < got {
            let more = read(b, y + other, got - other)
            if more <= 0 { return false }
            other += more
        }
        if got <= 0 { return read(b, y, 1) == 0 }
        if memcmp(x, y, got) != 0 { return false }
    }
}
