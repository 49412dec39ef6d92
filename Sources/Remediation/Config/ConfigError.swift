import StrictYAML

/// A configuration error that names the line and the key, so `check-config` points at the mistake.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    public var path: String
    public var message: String

    public init(line: Int, path: String, message: String) {
        self.line = line
        self.path = path
        self.message = message
    }

    init(_ problem: YAMLProblem) {
        self.init(line: problem.line ?? 0, path: problem.path, message: problem.message)
    }

    public var description: String {
        let place = path.isEmpty ? "" : "\(path): "
        return line > 0 ? "line \(line): \(place)\(message)" : "\(place)\(message)"
    }
}
