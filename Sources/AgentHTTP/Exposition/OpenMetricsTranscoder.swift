/// Rewrites a text-format (0.0.4) exposition as OpenMetrics 1.0.0, for scrapers that ask for it.
///
/// The two formats differ, for what the agent writes, in: a counter family is named without `_total` (its samples
/// keep it); `# UNIT` names the unit a family's name ends in; `untyped` is `unknown`; HELP escapes `"` too; no
/// other comments and no blank lines; and the exposition ends with `# EOF`. Working on the rendered text keeps one
/// rendering path for both formats (the inventory renderer, the process probe and the Prometheus registry each
/// write their own part).
enum OpenMetricsTranscoder {
    /// Unit suffixes (base units, as the Prometheus naming conventions want them) announced with `# UNIT`.
    static let units: [String] = [
        "seconds", "bytes", "joules", "ratio", "celsius", "volts", "amperes", "meters",
        "grams", "hertz",
    ]

    static func transcode(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 64)
        // The family a TYPE line announced, and its OpenMetrics name, to rename its HELP line (which comes
        // first) consistently: HELP and TYPE are written as a pair once both are known.
        var pendingHelp: (name: Substring, text: Substring)?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                if let help = pendingHelp { Self.writeHelp(help, family: help.name, into: &output) }
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                pendingHelp = (name, rest.dropFirst(name.count).drop { $0 == " " })
            } else if line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                var type = rest.dropFirst(name.count).drop { $0 == " " }
                if type == "untyped" { type = "unknown" }
                var family = name
                if type == "counter" {
                    if name.hasSuffix("_total") {
                        family = name.dropLast(6)
                    } else {
                        // An OpenMetrics counter's samples must end in _total; one that does not is unknown.
                        type = "unknown"
                    }
                }
                if let help = pendingHelp, help.name == name {
                    Self.writeHelp(help, family: family, into: &output)
                } else if let help = pendingHelp {
                    Self.writeHelp(help, family: help.name, into: &output)
                }
                pendingHelp = nil
                output += "# TYPE \(family) \(type)\n"
                if let unit = units.first(where: { family.hasSuffix("_" + $0) }) {
                    output += "# UNIT \(family) \(unit)\n"
                }
            } else if line.hasPrefix("#") || line.allSatisfy({ $0 == " " }) {
                continue
            } else {
                if let help = pendingHelp {
                    Self.writeHelp(help, family: help.name, into: &output)
                    pendingHelp = nil
                }
                output += line
                output += "\n"
            }
        }
        if let help = pendingHelp { Self.writeHelp(help, family: help.name, into: &output) }
        output += "# EOF\n"
        return output
    }

    /// Text-format HELP escapes backslash and newline; OpenMetrics also the double quote.
    private static func writeHelp(
        _ help: (name: Substring, text: Substring), family: Substring, into output: inout String
    ) {
        output += "# HELP \(family) "
        var escaped = false
        for character in help.text {
            if escaped {
                output.append("\\")
                output.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                output += "\\\""
            } else {
                output.append(character)
            }
        }
        if escaped { output += "\\\\" }
        output += "\n"
    }
}
