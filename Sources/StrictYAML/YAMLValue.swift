import Yams

/// A node of a YAML document with its key path, read by the same strict rules for every configuration file the agent
/// has. Walking composed nodes, rather than decoding through `Decodable`, keeps the line of every value and sees
/// unknown keys. The rules:
/// - A key given no value (`key:`, `key: ~`, `key: null`) is an error: an empty setting must not quietly become a
///   default, and `state_file: ~` must not become a file named `~`. Leave the key out to get the default.
/// - A key appears once, and only the keys a mapping knows are accepted: a misspelt safety setting is an error.
/// - Booleans are `true` or `false`, unquoted; YAML 1.1's `yes`, `on` and friends read too much like strings.
/// - Numbers are checked against a range before they are used.
public struct YAMLValue {
    public let node: Node
    public let path: String

    public var line: Int? { node.mark?.line }
    public var isList: Bool { node.sequence != nil }
    public var isNull: Bool {
        guard case .scalar = node else { return false }
        return node.tag.rawValue == Tag.Name.null.rawValue
    }

    /// The document's root; nil when it has no content (nothing, comments only, or a lone null).
    public static func document(_ text: String) throws -> YAMLValue? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            // The scanner places an unexpected end of the stream a line or two past the last; name the last line.
            // YAML also breaks lines at CR, NEL, LS and PS.
            let lastLine = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
            throw YAMLProblem(
                line: Self.line(of: error).map { min($0, lastLine) }, path: "",
                message: "not valid YAML: \(Self.problem(of: error))")
        }
        guard let root else { return nil }
        let value = YAMLValue(node: root, path: "")
        return value.isNull ? nil : value
    }

    public func problem(_ message: String) -> YAMLProblem {
        YAMLProblem(line: line, path: path, message: message)
    }

    /// The entries in file order. Keys outside `keys` are errors; nil accepts any key (user names, header names).
    public func entries(keys: Set<String>?) throws -> [YAMLEntry] {
        guard let mapping = node.mapping else { throw problem("must be a mapping, not \(kindName)") }
        var seen: Set<String> = []
        var entries: [YAMLEntry] = []
        for (keyNode, valueNode) in mapping {
            let keyLine = keyNode.mark?.line ?? line
            guard case .scalar(let scalar) = keyNode else {
                throw YAMLProblem(line: keyLine, path: path, message: "keys must be strings")
            }
            let key = scalar.string
            let entry = YAMLEntry(
                key: key, keyLine: keyLine,
                value: YAMLValue(node: valueNode, path: path.isEmpty ? key : "\(path).\(key)"))
            if let keys, !keys.contains(key) {
                throw entry.keyProblem("unknown key (known: \(keys.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw entry.keyProblem("duplicate key \"\(key)\"") }
            if entry.value.isNull {
                throw entry.value.problem("has no value (null); give one or leave the key out for the default")
            }
            entries.append(entry)
        }
        return entries
    }

    /// The entries by key, for mappings whose order does not matter.
    public func fields(_ keys: Set<String>) throws -> [String: YAMLValue] {
        Dictionary(try entries(keys: keys).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The elements; a null element is an error like a null value.
    public func list() throws -> [YAMLValue] {
        guard let sequence = node.sequence else { throw problem("must be a list, not \(kindName)") }
        return try sequence.enumerated().map { index, element in
            let value = YAMLValue(node: element, path: "\(path)[\(index)]")
            guard !value.isNull else { throw value.problem("list elements must not be null") }
            return value
        }
    }

    public func string() throws -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw problem("must be a string, not \(kindName)") }
        return scalar.string
    }

    public func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.isEmpty else { throw problem("must not be empty") }
        return value
    }

    public func stringList() throws -> [String] {
        try list().map { try $0.nonEmptyString() }
    }

    public func bool() throws -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { throw problem("must be true or false") }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default: throw problem("must be true or false")
        }
    }

    public func int(in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(try string()), range.contains(value) else {
            throw problem("must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// NaN and the infinities are outside every range.
    public func double(in range: ClosedRange<Double>) throws -> Double {
        guard let value = Double(try string()), range.contains(value) else {
            throw problem("must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    var kindName: String {
        switch node {
        case .scalar: isNull ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        // The reader (bad encoding, control characters) reports a byte offset rather than a mark.
        case .reader(_, .some(let offset), _, let yaml): 1 + yaml.utf8.prefix(max(offset, 0)).count { $0 == 0x0A }
        default: nil
        }
    }

    /// Yams' own descriptions quote the whole document, which may hold secrets (inline keys, hashes).
    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        case .reader(let problem, _, _, _): problem
        case .duplicatedKeysInMapping(let keys, _): "duplicate key " + keys.map { "\"\($0)\"" }.joined(separator: ", ")
        default: "the parser failed"
        }
    }
}

/// One key of a mapping and its value.
public struct YAMLEntry {
    public let key: String
    public let keyLine: Int?
    public let value: YAMLValue

    /// A problem with the key itself (unknown, repeated, not allowed here), placed on the key's line.
    public func keyProblem(_ message: String) -> YAMLProblem {
        YAMLProblem(line: keyLine, path: value.path, message: message)
    }
}
