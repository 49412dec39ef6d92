import StrictYAML

/// The exporter-toolkit web configuration (`--web.config.file`, as read by node_exporter and its peers): TLS with
/// optional client certificates, basic-auth users and extra response headers.
///
/// Differences from the Go toolkit, all deliberate:
/// - The file and the certificates are read at start and on SIGHUP (``WebSecurityState``), not per connection.
/// - `http_server_config.http2` is accepted but HTTP/2 is never served: Hummingbird's HTTP/2 channel lives in a
///   package this project does not depend on, and Prometheus scrapes over HTTP/1.1 anyway.
/// - `client_allowed_sans` requires `client_auth_type: RequireAndVerifyClientCert`, as newer toolkit releases do.
/// - A key with no value (`key:` or `key: ~`) is an error, where Go reads it as unset; see `StrictYAML`.
/// - Booleans are `true` or `false` only.
/// - Newer keys the toolkit has grown (`auth_excluded_paths`, rate limits, ...) are rejected as unknown rather than
///   silently ignored.
public struct WebConfiguration: Sendable {
    /// `nil` serves plain HTTP.
    public var tls: TLSSettings?
    /// `http_server_config.headers`, in file order.
    public var headers: [(name: String, value: String)]
    /// User name to bcrypt hash. Empty means no basic auth.
    public var basicAuthUsers: [String: String]

    public init(
        tls: TLSSettings? = nil, headers: [(name: String, value: String)] = [], basicAuthUsers: [String: String] = [:]
    ) {
        self.tls = tls
        self.headers = headers
        self.basicAuthUsers = basicAuthUsers
    }

    /// Reads and validates the file, loading every certificate and key it names; any problem is a
    /// ``WebConfigurationError`` naming the file, the key and the line.
    public static func load(path: String) throws -> WebConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try FileReader.contents(of: path)
        } catch {
            throw WebConfigurationError(file: path, keyPath: "", line: nil, message: "cannot read the file: \(error)")
        }
        guard let yaml = String(validating: bytes, as: UTF8.self) else {
            throw WebConfigurationError(file: path, keyPath: "", line: nil, message: "the file is not valid UTF-8")
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? "."
        return try Self.parse(yaml: yaml, relativeTo: directory, file: path)
    }

    /// Parses YAML text; relative certificate paths are resolved against `directory`.
    public static func parse(yaml: String, relativeTo directory: String) throws -> WebConfiguration {
        try Self.parse(yaml: yaml, relativeTo: directory, file: "<web config>")
    }

    static let keys: Set<String> = ["tls_server_config", "http_server_config", "basic_auth_users"]

    static func parse(yaml: String, relativeTo directory: String, file: String) throws -> WebConfiguration {
        do {
            // An empty file is valid and means what no file means: plain HTTP, no authentication. An empty section
            // is not: `tls_server_config:` with nothing under it serving plain HTTP would fail open.
            guard let root = try YAMLValue.document(yaml) else { return WebConfiguration() }
            var configuration = WebConfiguration()
            for entry in try root.entries(keys: Self.keys) {
                switch entry.key {
                case "tls_server_config":
                    configuration.tls = try TLSSettings.parse(entry.value, directory: directory)
                case "http_server_config":
                    configuration.headers = try Self.parseHTTPServerConfig(entry.value)
                default:
                    configuration.basicAuthUsers = try BasicAuthUsers.parse(entry.value)
                }
            }
            return configuration
        } catch let problem as YAMLProblem {
            throw WebConfigurationError(file: file, problem)
        }
    }
}
