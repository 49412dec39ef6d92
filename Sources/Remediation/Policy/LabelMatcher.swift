import Foundation

/// An Alertmanager-style label matcher: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`.
/// Regular expressions are anchored at both ends, as in Prometheus.
public struct LabelMatcher: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case matches = "=~"
        case notMatches = "!~"
    }

    public var name: String
    public var op: Operator
    public var value: String
    private let pattern: AnchoredPattern?

    public init(name: String, op: Operator, value: String) throws {
        self.name = name
        self.op = op
        self.value = value
        pattern = op == .matches || op == .notMatches ? try AnchoredPattern(regex: value) : nil
    }

    /// Parses `name="value"` (quotes optional) with any of the four operators.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let nameEnd = trimmed.firstIndex(where: { $0 == "=" || $0 == "!" }) else {
            throw MatcherError(
                text: text, reason: "expected name=\"value\", name!=\"value\", name=~\"re\" or name!~\"re\"")
        }
        let name = trimmed[..<nameEnd].trimmingCharacters(in: .whitespaces)
        guard Self.isLabelName(name) else {
            throw MatcherError(text: text, reason: "\"\(name)\" is not a label name")
        }
        let rest = trimmed[nameEnd...]
        // Longest operator first, so "!=" is not read as "!" and "=~" not as "=".
        guard let op = [Operator.matches, .notMatches, .notEqual, .equal].first(where: { rest.hasPrefix($0.rawValue) })
        else {
            throw MatcherError(text: text, reason: "unknown operator")
        }
        var value = rest.dropFirst(op.rawValue.count).trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        do {
            try self.init(name: name, op: op, value: value)
        } catch {
            throw MatcherError(text: text, reason: "\(error)")
        }
    }

    /// A missing label matches as the empty string, as in Alertmanager.
    public func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[name] ?? ""
        switch op {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .matches: return pattern?.matches(actual) ?? false
        case .notMatches: return !(pattern?.matches(actual) ?? true)
        }
    }

    public var description: String { "\(name)\(op.rawValue)\"\(value)\"" }

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.op == b.op && a.value == b.value }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }
    }
}

public struct MatcherError: Error, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "matcher \(text): \(reason)" }
}
