import Foundation

/// A JSON document that keeps key order and number literals as written, so tests can build bodies the
/// Foundation serializer would refuse (numbers out of range) and escape text in more than one way.
indirect enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        a.render() == b.render()
    }

    /// Reads a document through JSONSerialization; objects keep their keys sorted.
    static func parse(_ text: String) throws -> JSONValue {
        convert(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
    }

    private static func convert(_ value: Any) -> JSONValue {
        switch value {
        case let object as [String: Any]:
            return .object(object.keys.sorted().map { (key: $0, value: convert(object[$0]!)) })
        case let array as [Any]: return .array(array.map(convert))
        case let string as String: return .string(string)
        case let number as NSNumber: return .number(number.stringValue)
        default: return .null
        }
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.last { $0.key == key }?.value
    }

    /// The text, with non-ASCII written raw or, when `escapeUnicode`, as \u escapes (surrogate pairs above
    /// the BMP).
    func render(escapeUnicode: Bool = false) -> String {
        switch self {
        case .object(let fields):
            let members = fields.map {
                Self.quote($0.key, escapeUnicode) + ":" + $0.value.render(escapeUnicode: escapeUnicode)
            }
            return "{" + members.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map { $0.render(escapeUnicode: escapeUnicode) }.joined(separator: ",") + "]"
        case .string(let text): return Self.quote(text, escapeUnicode)
        case .number(let literal): return literal
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        }
    }

    private static func quote(_ text: String, _ escapeUnicode: Bool) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            case _ where escapeUnicode && scalar.value > 0x7E:
                for unit in String(scalar).utf16 { result += String(format: "\\u%04X", unit) }
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
