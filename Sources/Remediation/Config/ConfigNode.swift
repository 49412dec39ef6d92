import KVMCore
import Yams

/// A configuration error that names the line and the key, so `check-config` points at the mistake.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    public var path: String
    public var message: String

    public var description: String {
        let place = path.isEmpty ? "" : "\(path): "
        return line > 0 ? "line \(line): \(place)\(message)" : "\(place)\(message)"
    }
}

/// A YAML node together with its key path. Policy files are read by walking nodes rather than through
/// `Decodable` because Decodable errors lose the line number and accept unknown keys silently.
struct ConfigNode {
    let node: Node
    let path: String

    var line: Int { node.mark?.line ?? 0 }
    var isList: Bool { node.sequence != nil }

    static func document(_ yaml: String) throws -> ConfigNode {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(line: 0, path: "", message: "the file is empty")
            }
            return ConfigNode(node: node, path: "")
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw ConfigError(
                line: Self.line(of: error), path: "", message: "not valid YAML: \(Self.problem(of: error))")
        }
    }

    func error(_ message: String) -> ConfigError {
        ConfigError(line: line, path: path, message: message)
    }

    private func child(_ key: String, _ node: Node) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The mapping's entries; keys outside `keys` are errors, since a misspelt safety setting must not be
    /// ignored on a production host.
    func mapping(keys: Set<String>) throws -> [String: ConfigNode] {
        let entries = try anyMapping()
        for key in entries.keys where !keys.contains(key) {
            throw entries[key]!.error("unknown key (known: \(keys.sorted().joined(separator: ", ")))")
        }
        return entries
    }

    func anyMapping() throws -> [String: ConfigNode] {
        guard let mapping = node.mapping else { throw error("must be a mapping") }
        var result: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error("keys must be strings") }
            guard result[name] == nil else {
                throw ConfigError(line: key.mark?.line ?? line, path: path, message: "duplicate key \"\(name)\"")
            }
            result[name] = child(name, value)
        }
        return result
    }

    func list() throws -> [ConfigNode] {
        guard let sequence = node.sequence else { throw error("must be a list") }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let scalar = node.scalar else { throw error("must be a string") }
        return scalar.string
    }

    func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.isEmpty else { throw error("must not be empty") }
        return value
    }

    func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("must be true or false")
        }
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(try string()), range.contains(value) else {
            throw error("must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func double(in range: ClosedRange<Double>) throws -> Double {
        guard let value = Double(try string()), range.contains(value) else {
            throw error("must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Go-style durations ("30s", "5m", "1h30m"), as in Prometheus and Alertmanager configuration.
    func duration() throws -> Duration {
        do {
            return try FlagValues.duration(try string())
        } catch let invalid as FlagValues.Invalid {
            throw error(invalid.description)
        }
    }

    func stringList() throws -> [String] {
        try list().map { try $0.nonEmptyString() }
    }

    func stringMap() throws -> [String: String] {
        try anyMapping().mapValues { try $0.string() }
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: 0
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        // Yams finds duplicate keys before `anyMapping` does; its own description quotes the whole file.
        case .duplicatedKeysInMapping(let keys, _): "duplicate key " + keys.map { "\"\($0)\"" }.joined(separator: ", ")
        default: "\(error)"
        }
    }
}
