import Foundation

/// A scratch directory tree for tests that read files the system keeps
/// elsewhere (sysfs, /run): files, directories and symlinks made by path,
/// everything removed with it.
public final class FileTree: @unchecked Sendable {
    // @unchecked: `root` is immutable; the tree is used by one test.
    public let root: String

    public init(_ label: String = "tree") {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("cdq-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// `relative` under the root.
    public func path(_ relative: String) -> String { "\(root)/\(relative)" }

    /// Writes `text` to `relative`, creating its directories.
    @discardableResult
    public func file(_ relative: String, _ text: String) -> String {
        let full = path(relative)
        directory((relative as NSString).deletingLastPathComponent)
        FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    /// Creates `relative` and its parents.
    @discardableResult
    public func directory(_ relative: String) -> String {
        let full = path(relative)
        try? FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// A symlink at `relative` pointing to `target` under the root.
    public func link(_ relative: String, to target: String) {
        directory((relative as NSString).deletingLastPathComponent)
        try? FileManager.default.createSymbolicLink(atPath: path(relative), withDestinationPath: path(target))
    }
}
