import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// A failure on its way across the C boundary: the positive errno the
/// function returns negated, and the message `cdq_last_error()` gives.
struct CAPIError: Error {
    let errno: Int32
    let message: String

    init(_ errno: Int32, _ message: String) {
        self.errno = errno
        self.message = message
    }
}

/// The calling thread's last message, in a buffer the thread owns (a
/// pthread key frees it at thread exit), so C reads it without a copy and
/// no thread sees another's message.
enum LastError {
    static let capacity = 512

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { buffer in free(buffer) }
        return key
    }()

    /// The thread's buffer, "" until its first failure; nil only when out of memory.
    static var buffer: UnsafeMutablePointer<CChar>? {
        if let existing = pthread_getspecific(key) { return existing.assumingMemoryBound(to: CChar.self) }
        guard let fresh = calloc(capacity, 1) else { return nil }
        pthread_setspecific(key, fresh)
        return fresh.assumingMemoryBound(to: CChar.self)
    }

    /// Replaces the message, truncated to the buffer.
    static func set(_ message: String) {
        guard let buffer else { return }
        var length = 0
        for byte in message.utf8 where length < capacity - 1 {
            buffer[length] = CChar(bitPattern: byte)
            length += 1
        }
        buffer[length] = 0
    }
}

/// Records `error` for the thread and returns its negated errno.
func failed(_ error: CAPIError) -> Int32 {
    LastError.set(error.message)
    return -error.errno
}

/// Runs one C entry point: a thrown `CAPIError` becomes `-errno` plus the message.
func cCall(_ body: () throws(CAPIError) -> Int32) -> Int32 {
    do { return try body() } catch { return failed(error) }
}

/// An out parameter the caller must supply.
func required<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String) throws(CAPIError) -> UnsafeMutablePointer<T> {
    guard let pointer else { throw CAPIError(EINVAL, "\(name) is NULL") }
    return pointer
}

/// Runs a call that fails with a `SystemError`, keeping its errno.
func system<T>(_ body: () throws(SystemError) -> T) throws(CAPIError) -> T {
    do { return try body() } catch { throw CAPIError(error.errno, error.description) }
}
