import StrictYAML

/// A problem with the web configuration file, located as precisely as the YAML allows so an operator can fix it
/// without guessing: `web.yml:7: tls_server_config.client_auth_type: unknown value "Foo" (expected one of ...)`.
public struct WebConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The configuration file, or a stand-in such as `<web config>` when it was parsed from a string.
    public var file: String
    /// Dotted path of the offending key, e.g. `tls_server_config.cert_file`; empty for the whole file.
    public var keyPath: String
    /// 1-based line of the offending node, when the YAML parser reported one.
    public var line: Int?
    public var message: String

    public init(file: String, keyPath: String, line: Int?, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    init(file: String, _ problem: YAMLProblem) {
        self.init(file: file, keyPath: problem.path, line: problem.line, message: problem.message)
    }

    public var description: String {
        var location = self.file
        if let line { location += ":\(line)" }
        if self.keyPath.isEmpty { return "\(location): \(self.message)" }
        return "\(location): \(self.keyPath): \(self.message)"
    }
}
