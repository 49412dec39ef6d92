/// Damage to YAML configuration files for property tests of their readers: values an attacker or a careless edit
/// puts there (overflowing, negative, NaN, huge, wrong-typed, null, YAML that means something other than it looks)
/// and broken structure.
public enum YAMLMutation {
    public static let hostileScalars = [
        "~", "null", "", "''", "-1", "0", "-0", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999", "1e400", "-1e400", "1e-400", ".nan", ".inf", "-.inf", "NaN", "0x7fffffffffffffff",
        "9999999999999999s", "2562048h", "0s", "0.0001s", "-5m", "1e9s", String(repeating: "9", count: 330) + "ms",
        "yes", "on", "True", "\"true\"", "[1, 2]", "{a: b}", "[]", "{}", "\"\"", "'", "\"", "&a x", "*a",
        "!!binary aGk=",
        "!!int 3", "!!null x", "- a", "|\n  text", "\u{0}", "\u{7F}", "\u{FEFF}", "\u{2028}", "é", "\u{1F600}",
    ]

    /// Characters that break YAML's structure or its reader.
    static let hostileCharacters: [Character] = [
        ":", "-", "[", "{", "&", "*", "!", "|", ">", "#", "'", "\"", "\t", " ", "\r", "\u{0}", "\u{1B}", "\u{85}",
        "\u{2028}", "\u{FFFE}", "é", "\u{1F600}", "a", "1",
    ]

    /// `lines` with one to four edits: a value replaced by a hostile one, a line removed, repeated or re-indented,
    /// or hostile text inserted.
    public static func mutate(_ lines: [String], using rng: inout some RandomNumberGenerator) -> String {
        var lines = lines
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !lines.isEmpty {
            let index = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0...3:
                lines[index] = replacingValue(lines[index], with: hostileScalars.randomElement(using: &rng)!)
            case 4: lines.remove(at: index)
            case 5: lines.insert(lines[index], at: index)
            case 6: lines[index] = String(repeating: " ", count: Int.random(in: 0...6, using: &rng)) + lines[index]
            default: lines.insert(noise(maxLength: 20, using: &rng), at: index)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Up to `maxLength` characters that mean something to YAML or its reader.
    public static func noise(maxLength: Int, using rng: inout some RandomNumberGenerator) -> String {
        String(
            (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in hostileCharacters.randomElement(using: &rng)! })
    }

    /// The line with what follows its key's colon (or its list dash) replaced by `value`.
    public static func replacingValue(_ line: String, with value: String) -> String {
        guard let marker = line.firstIndex(of: ":") ?? line.firstIndex(of: "-") else { return line }
        return line[...marker] + " " + value
    }
}
