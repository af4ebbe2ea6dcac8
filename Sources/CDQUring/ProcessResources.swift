#if canImport(Glibc)
import Glibc
#endif

/// What this process holds of the kernel's resources, by counting: open
/// descriptors and memory mappings. A queue attach that failed, or a
/// shutdown, must give every one back; tests and the guest checks compare
/// these counts before and after.
public enum ProcessResources {
    /// Open file descriptors (entries of /proc/self/fd).
    public static func openDescriptors() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while readdir(dir) != nil { count += 1 }
        return count
    }

    /// Memory mappings (lines of /proc/self/maps): leaked queue memory shows here.
    public static func mappings() -> Int {
        guard let file = fopen("/proc/self/maps", "r") else { return -1 }
        defer { fclose(file) }
        var lines = 0
        while true {
            let c = fgetc(file)
            if c == EOF { return lines }
            if c == 10 { lines += 1 }
        }
    }
}
