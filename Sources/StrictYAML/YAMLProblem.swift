/// What is wrong in a YAML document and where: the line (1-based, nil when the parser gave none), the dotted key
/// path (`limits.start_timeout`, `rules[0].action`; empty for the whole document) and the problem.
/// Each file format wraps it in its own error, which adds the file name or the wording its users already know.
public struct YAMLProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var path: String
    public var message: String

    public init(line: Int?, path: String, message: String) {
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        let place = path.isEmpty ? "" : "\(path): "
        return line.map { "line \($0): \(place)\(message)" } ?? "\(place)\(message)"
    }
}
