import Foundation

/// A regular expression or a shell glob that must match a whole string.
struct AnchoredPattern: Sendable {
    private let expression: NSRegularExpression

    init(regex: String) throws {
        do {
            expression = try NSRegularExpression(pattern: "^(?:\(regex))$")
        } catch {
            throw MatcherError(text: regex, reason: "not a valid regular expression")
        }
    }

    /// `*` any run of characters, `?` one character, `[...]` a class; everything else literal.
    init(glob: String) throws {
        var regex = ""
        var inClass = false
        for character in glob {
            switch character {
            case "*" where !inClass: regex += ".*"
            case "?" where !inClass: regex += "."
            case "[" where !inClass:
                inClass = true
                regex += "["
            case "]" where inClass:
                inClass = false
                regex += "]"
            case "!" where inClass && regex.hasSuffix("["):
                regex += "^"
            default: regex += NSRegularExpression.escapedPattern(for: String(character))
            }
        }
        guard !inClass else { throw MatcherError(text: glob, reason: "unclosed [ in glob") }
        try self.init(regex: regex)
    }

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
