extension NVMeStatus {
    /// The specification's name of an SCT/SC pair, or `nil` for codes this
    /// model does not name (reserved, vendor specific, or newer ones).
    ///
    /// Command specific codes 0x80 and up belong to the NVM command set (the
    /// only I/O command set this project uses); the CDQ codes 0x37...0x3B
    /// use libnvme's names (cdq-protocol.md §1).
    public static func name(codeType: StatusCodeType, code: UInt8) -> String? {
        switch codeType {
        case .generic: genericName(code)
        case .commandSpecific: commandSpecificName(code)
        case .mediaAndDataIntegrity: mediaName(code)
        case .path: pathName(code)
        case .vendorSpecific, .reserved: nil
        }
    }

    private static func genericName(_ code: UInt8) -> String? {
        switch code {
        case 0x00: "Successful Completion"
        case 0x01: "Invalid Command Opcode"
        case 0x02: "Invalid Field in Command"
        case 0x03: "Command ID Conflict"
        case 0x04: "Data Transfer Error"
        case 0x05: "Commands Aborted due to Power Loss Notification"
        case 0x06: "Internal Error"
        case 0x07: "Command Abort Requested"
        case 0x08: "Command Aborted due to SQ Deletion"
        case 0x09: "Command Aborted due to Failed Fused Command"
        case 0x0A: "Command Aborted due to Missing Fused Command"
        case 0x0B: "Invalid Namespace or Format"
        case 0x0C: "Command Sequence Error"
        case 0x0D: "Invalid SGL Segment Descriptor"
        case 0x0E: "Invalid Number of SGL Descriptors"
        case 0x0F: "Data SGL Length Invalid"
        case 0x10: "Metadata SGL Length Invalid"
        case 0x11: "SGL Descriptor Type Invalid"
        case 0x12: "Invalid Use of Controller Memory Buffer"
        case 0x13: "PRP Offset Invalid"
        case 0x14: "Atomic Write Unit Exceeded"
        case 0x15: "Operation Denied"
        case 0x16: "SGL Offset Invalid"
        case 0x18: "Host Identifier Inconsistent Format"
        case 0x19: "Keep Alive Timer Expired"
        case 0x1A: "Keep Alive Timeout Invalid"
        case 0x1B: "Command Aborted due to Preempt and Abort"
        case 0x1C: "Sanitize Failed"
        case 0x1D: "Sanitize In Progress"
        case 0x1E: "SGL Data Block Granularity Invalid"
        case 0x1F: "Command Not Supported for Queue in CMB"
        case 0x20: "Namespace is Write Protected"
        case 0x21: "Command Interrupted"
        case 0x22: "Transient Transport Error"
        case 0x80: "LBA Out of Range"
        case 0x81: "Capacity Exceeded"
        case 0x82: "Namespace Not Ready"
        case 0x83: "Reservation Conflict"
        case 0x84: "Format In Progress"
        default: nil
        }
    }

    private static func commandSpecificName(_ code: UInt8) -> String? {
        switch code {
        case 0x00: "Completion Queue Invalid"
        case 0x01: "Invalid Queue Identifier"
        case 0x02: "Invalid Queue Size"
        case 0x03: "Abort Command Limit Exceeded"
        case 0x05: "Asynchronous Event Request Limit Exceeded"
        case 0x06: "Invalid Firmware Slot"
        case 0x07: "Invalid Firmware Image"
        case 0x08: "Invalid Interrupt Vector"
        case 0x09: "Invalid Log Page"
        case 0x0A: "Invalid Format"
        case 0x0B: "Firmware Activation Requires Conventional Reset"
        case 0x0C: "Invalid Queue Deletion"
        case 0x0D: "Feature Identifier Not Saveable"
        case 0x0E: "Feature Not Changeable"
        case 0x0F: "Feature Not Namespace Specific"
        case 0x10: "Firmware Activation Requires NVM Subsystem Reset"
        case 0x11: "Firmware Activation Requires Controller Level Reset"
        case 0x12: "Firmware Activation Requires Maximum Time Violation"
        case 0x13: "Firmware Activation Prohibited"
        case 0x14: "Overlapping Range"
        case 0x15: "Namespace Insufficient Capacity"
        case 0x16: "Namespace Identifier Unavailable"
        case 0x18: "Namespace Already Attached"
        case 0x19: "Namespace Is Private"
        case 0x1A: "Namespace Not Attached"
        case 0x1B: "Thin Provisioning Not Supported"
        case 0x1C: "Controller List Invalid"
        case 0x1D: "Device Self-test In Progress"
        case 0x1E: "Boot Partition Write Prohibited"
        case 0x1F: "Invalid Controller Identifier"
        case 0x20: "Invalid Secondary Controller State"
        case 0x21: "Invalid Number of Controller Resources"
        case 0x22: "Invalid Resource Identifier"
        case 0x37: "Invalid Controller Data Queue"
        case 0x38: "Not Enough Resources"
        case 0x39: "Controller Suspended"
        case 0x3A: "Controller Not Suspended"
        case 0x3B: "Controller Data Queue Full"
        case 0x80: "Conflicting Attributes"
        case 0x81: "Invalid Protection Information"
        case 0x82: "Attempted Write to Read Only Range"
        default: nil
        }
    }

    private static func mediaName(_ code: UInt8) -> String? {
        switch code {
        case 0x80: "Write Fault"
        case 0x81: "Unrecovered Read Error"
        case 0x82: "End-to-end Guard Check Error"
        case 0x83: "End-to-end Application Tag Check Error"
        case 0x84: "End-to-end Reference Tag Check Error"
        case 0x85: "Compare Failure"
        case 0x86: "Access Denied"
        case 0x87: "Deallocated or Unwritten Logical Block"
        default: nil
        }
    }

    private static func pathName(_ code: UInt8) -> String? {
        switch code {
        case 0x00: "Internal Path Error"
        case 0x01: "Asymmetric Access Persistent Loss"
        case 0x02: "Asymmetric Access Inaccessible"
        case 0x03: "Asymmetric Access Transition"
        case 0x60: "Controller Pathing Error"
        case 0x70: "Host Pathing Error"
        case 0x71: "Command Aborted By Host"
        default: nil
        }
    }
}
