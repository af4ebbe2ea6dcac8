import CDQNVMe

/// Checks a data buffer against what a command will transfer, before the
/// command reaches the kernel.
///
/// The kernel maps whatever length it is given, so a buffer that is too
/// short for the controller's answer would be a memory-safety bug in the
/// caller, not a kernel error. Known lengths come from the command's own
/// fields (NUMD, CDQSIZE) or from the spec (Identify is 4 KiB).
enum DataBufferRule {
    /// What a command's fields say about its data.
    enum Expectation: Equatable {
        /// No data, although the opcode's direction bits may claim some
        /// (Delete CDQ shares opcode 0x45 with Create, Track Send SEL 0 has none).
        case noData
        /// Data in the opcode's direction, at least this many bytes.
        case atLeast(Int)
        /// Data in the opcode's direction, of a length only the caller knows.
        case required
        /// Data only for some values (Get/Set Features other than FID 0x21).
        case optional
    }

    static func check(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer?, admin: Bool
    ) throws(PassthroughError) {
        let length = data?.count ?? 0
        let opcode = "opcode 0x\(hex(command.opcode))"
        if command.dataTransfer == .bidirectional {
            throw .dataBuffer("\(opcode) is bidirectional, which uring_cmd passthrough cannot carry")
        }
        switch expectation(command, admin: admin) {
        case .noData:
            if length != 0 { throw .dataBuffer("\(opcode) transfers no data, but a \(length)-byte buffer was given") }
        case .optional:
            break
        case .required:
            if length == 0 { throw .dataBuffer("\(opcode) transfers data, but no buffer was given") }
        case .atLeast(let expected):
            if length == 0 { throw .dataBuffer("\(opcode) transfers data, but no buffer was given") }
            if length < expected { throw .dataBuffer("\(opcode) transfers \(expected) bytes, but the buffer has \(length)") }
        }
    }

    static func expectation(_ command: NVMeCommand, admin: Bool) -> Expectation {
        let byDirection: Expectation = command.dataTransfer == .none ? .noData : .required
        guard admin else { return byDirection } // I/O lengths depend on the LBA format.
        let select = command.cdw10 & 0xFF
        switch AdminOpcode(rawValue: command.opcode) {
        case .identify:
            return .atLeast(4096)
        case .getLogPage:
            let numd = UInt64(command.cdw10 >> 16) | UInt64(command.cdw11 & 0xFFFF) << 16
            return .atLeast(Int((numd + 1) * 4))
        case .getFeatures:
            return select == UInt32(FeatureID.controllerDataQueue) ? .atLeast(CDQFeatureData.size) : .optional
        case .setFeatures:
            return .optional
        case .migrationReceive:
            return .atLeast(Int((UInt64(command.cdw15) + 1) * 4))
        case .controllerDataQueue:
            return select == 0 ? .atLeast(Int(UInt64(command.cdw12) * 4)) : .noData
        case .trackSend:
            return select == 0 ? .noData : .optional
        case .migrationSend:
            return select == 2 ? .required : .noData
        default:
            return byDirection
        }
    }

    private static func hex(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
