/// The header at the start of a migratable controller's state, as read with
/// Migration Receive (`NVMeCommand.migrationReceiveGetState`) and written
/// back with Migration Send set state. (Migratable controller: see
/// `ControllerDataQueue`.)
///
/// cdq-protocol.md §1 states only that "csattr bit 0 = suspended". The byte
/// positions here are an assumption, taken from libnvme's controller state
/// header (`ver` le16 at bytes 0-1, `csattr` at byte 2); check them against
/// a real controller before relying on anything beyond `isSuspended`. The
/// rest of the state is opaque to this project and is copied as bytes.
public struct ControllerStateHeader: Sendable, Hashable {
    /// The smallest transfer that holds the fields decoded here: one dword.
    public static let minimumSize = 4

    /// VER: version of the controller state format (bytes 0-1, assumed).
    public var version: UInt16
    /// CSATTR: controller state attributes (byte 2, assumed).
    public var attributes: UInt8

    public init(version: UInt16, attributes: UInt8) {
        self.version = version
        self.attributes = attributes
    }

    /// Decodes the header at the start of `buffer`; `nil` if it holds fewer
    /// than `minimumSize` bytes.
    public init?(buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.minimumSize, let base = buffer.baseAddress else { return nil }
        self.init(
            version: LittleEndian.load(UInt16.self, from: base, offset: 0),
            attributes: base.load(fromByteOffset: 2, as: UInt8.self))
    }

    /// Writes the `minimumSize`-byte header image (byte 3 reserved, zero),
    /// as a controller or simulator would.
    public func write(to destination: UnsafeMutableRawPointer) {
        LittleEndian.store(version, to: destination, offset: 0)
        destination.storeBytes(of: attributes, toByteOffset: 2, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 3, as: UInt8.self)
    }

    /// CSATTR bit 0: the state was captured from a suspended controller
    /// (cdq-protocol.md §1), i.e. it is complete and consistent.
    public var isSuspended: Bool { attributes & 1 != 0 }
}
