import CDQNVMe

/// Checks a data buffer against what a command will transfer, before the
/// command reaches the kernel.
///
/// The kernel maps whatever length it is given, so a buffer that is too
/// short for the controller's answer would be a memory-safety bug in the
/// caller, not a kernel error. Known lengths come from the command's own
/// fields (NUMD, CDQSIZE) or from the spec (Identify is 4 KiB).
enum DataBufferRule {
    static func check(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, admin: Bool
    ) throws(PassthroughError) {
        let length = data?.count ?? 0
        switch command.dataTransfer {
        case .none:
            if length != 0 {
                throw .dataBuffer("opcode 0x\(hex(command.opcode)) transfers no data, but a \(length)-byte buffer was given")
            }
        case .bidirectional:
            throw .dataBuffer("opcode 0x\(hex(command.opcode)) is bidirectional, which uring_cmd passthrough cannot carry")
        case .hostToController, .controllerToHost:
            if length == 0 && dataIsOptional(command, admin: admin) { return }
            guard length > 0, data?.baseAddress != nil else {
                throw .dataBuffer("opcode 0x\(hex(command.opcode)) transfers data, but no buffer was given")
            }
            if let expected = expectedLength(command, admin: admin), length < expected {
                throw .dataBuffer("opcode 0x\(hex(command.opcode)) transfers \(expected) bytes, but the buffer has \(length)")
            }
        }
    }

    /// Get and Set Features carry the data direction in their opcode, but
    /// most features (Number of Queues, Arbitration, ...) transfer nothing:
    /// their value travels in CDW11 and DW0.
    static func dataIsOptional(_ command: NVMeCommand, admin: Bool) -> Bool {
        guard admin else { return false }
        switch AdminOpcode(rawValue: command.opcode) {
        case .getFeatures:
            return expectedLength(command, admin: admin) == nil
        case .setFeatures:
            return true
        default:
            return false
        }
    }

    /// The transfer length the command's fields imply, where they imply one.
    static func expectedLength(_ command: NVMeCommand, admin: Bool) -> Int? {
        guard admin else { return nil } // I/O lengths depend on the LBA format.
        switch AdminOpcode(rawValue: command.opcode) {
        case .identify:
            return 4096
        case .getLogPage:
            let numd = UInt64(command.cdw10 >> 16) | UInt64(command.cdw11 & 0xFFFF) << 16
            return Int((numd + 1) * 4)
        case .getFeatures where command.cdw10 & 0xFF == UInt32(FeatureID.controllerDataQueue):
            return CDQFeatureData.size
        case .migrationReceive:
            return Int((UInt64(command.cdw15) + 1) * 4)
        case .controllerDataQueue where command.cdw10 & 0xFF == 0:
            return Int(UInt64(command.cdw12) * 4)
        default:
            return nil
        }
    }

    private static func hex(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
