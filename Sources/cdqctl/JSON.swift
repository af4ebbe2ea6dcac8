/// A small JSON value with keys kept in the order given, so `--json`
/// output is stable for scripts and diffs.
enum JSON {
    case string(String)
    case int(Int64)
    case bool(Bool)
    /// A finite number, printed with at most three decimals.
    case number(Double)
    case object([(String, JSON)])
    case array([JSON])
    case null

    static func uint<T: BinaryInteger>(_ value: T) -> JSON { .int(Int64(value)) }

    var rendered: String {
        switch self {
        case .string(let s): return JSON.quote(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .number(let x): return x.isFinite ? String((x * 1000).rounded() / 1000) : "null"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { JSON.quote($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
