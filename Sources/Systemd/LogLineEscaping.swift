/// Escaping for log values written as lines (logfmt, JSON lines, this module's stderr fallback), so that a
/// value from outside (an alert label, a domain name) cannot end the line it is in or pass for another.
/// Here rather than beside the line handlers because the journal handler's fallback needs it too, and
/// this is the lower of the two modules.
public enum LogLineEscaping {
    /// Characters that end, split or disguise a line: the C0 controls (CR, LF, ESC, …), DEL, the C1 controls
    /// (NEL U+0085 among them) and the Unicode line and paragraph separators U+2028 and U+2029.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    /// `text` with backslash, double quote and every unsafe character escaped the way JSON escapes them
    /// (`\n`, `\r`, `\t`, `\b`, `\f`, otherwise `\u` and four hex digits): a JSON string's content, and a
    /// quoted logfmt value that logfmt readers (Go's strconv.Unquote rules) read back unchanged.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0) || $0 == "\"" || $0 == "\\" }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where isUnsafe(scalar): result += "\\u" + hex4(scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
