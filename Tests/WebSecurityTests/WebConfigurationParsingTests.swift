import NIOSSL
import Testing

@testable import WebSecurity

@Suite("Web configuration parsing")
struct WebConfigurationParsingTests {
    /// Parses `yaml` with the fixture certificate and key written next to it as server.pem/server.key.
    private func parse(_ yaml: String) throws -> WebConfiguration {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("server.pem", Fixtures.certificate)
        try directory.write("server.key", Fixtures.privateKey)
        try directory.write("other.key", Fixtures.unrelatedPrivateKey)
        return try WebConfiguration.parse(yaml: yaml, relativeTo: directory.path)
    }

    private func parseError(_ yaml: String) throws -> WebConfigurationError {
        try #require(throws: WebConfigurationError.self) { try self.parse(yaml) }
    }

    @Test func fullValidFile() throws {
        let configuration = try self.parse(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: server.pem
              client_allowed_sans: ["client.example", "0:0:0:0:0:0:0:1"]
              min_version: TLS13
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: true
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              alice: \(Fixtures.bcryptHash)
            """)
        let tls = try #require(configuration.tls)
        #expect(tls.certificateChain.count == 1)
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.clientCAs.count == 1)
        #expect(tls.clientAllowedSANs == ["client.example", "::1"])
        #expect(tls.minimumVersion == .tlsv13)
        #expect(tls.maximumVersion == .tlsv13)
        #expect(tls.cipherSuites == [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
        #expect(tls.curves == [.x25519, .secp256r1])
        #expect(configuration.headers.map(\.name) == ["X-Frame-Options", "Strict-Transport-Security"])
        #expect(configuration.headers.map(\.value) == ["deny", "max-age=31536000"])
        #expect(configuration.basicAuthUsers == ["alice": Fixtures.bcryptHash])
        _ = try configuration.serverBuilder()
    }

    @Test func defaultsAndInlinePEM() throws {
        let indentedCertificate = Fixtures.certificate.split(separator: "\n").map { "    \($0)" }
        let indentedKey = Fixtures.privateKey.split(separator: "\n").map { "    \($0)" }
        let yaml = (["tls_server_config:", "  cert: |"] + indentedCertificate + ["  key: |"] + indentedKey)
            .joined(separator: "\n")
        let tls = try #require(try self.parse(yaml).tls)
        #expect(tls.clientAuth == .noClientCert)
        #expect(tls.minimumVersion == .tlsv12)
        #expect(tls.maximumVersion == .tlsv13)
        #expect(tls.cipherSuites.isEmpty && tls.curves.isEmpty)
    }

    @Test func emptyFileMeansPlainHTTPWithoutAuth() throws {
        let configuration = try self.parse("")
        #expect(configuration.tls == nil)
        #expect(configuration.basicAuthUsers.isEmpty)
        #expect(configuration.headers.isEmpty)
    }

    @Test func unknownKey() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth: RequireAnyClientCert
            """)
        #expect(error.keyPath == "tls_server_config.client_auth")
        #expect(error.line == 4)
        #expect(error.message.contains("unknown key"))
        #expect(error.description.contains("<web config>:4: tls_server_config.client_auth: unknown key"))
    }

    @Test func unknownTopLevelKey() throws {
        let error = try self.parseError("basic_auth_users: {}\nauth_excluded_paths: [/health]\n")
        #expect(error.keyPath == "auth_excluded_paths")
        #expect(error.line == 2)
    }

    @Test func missingCertificate() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              key_file: server.key
            """)
        #expect(error.keyPath == "tls_server_config")
        #expect(error.line == 2)
        #expect(error.message.contains("cert_file is required"))
    }

    @Test func unreadableCertificateFile() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: missing.pem
              key_file: server.key
            """)
        #expect(error.keyPath == "tls_server_config.cert_file")
        #expect(error.line == 2)
        #expect(error.message.contains("missing.pem"))
        #expect(error.message.contains("No such file or directory"))
    }

    @Test func certificateFileWithoutPEM() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.key
              key_file: server.key
            """)
        #expect(error.keyPath == "tls_server_config.cert_file")
        #expect(error.message.contains("server.key"))
    }

    @Test func keyThatDoesNotMatchTheCertificate() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: other.key
            """)
        #expect(error.keyPath == "tls_server_config")
        #expect(error.message.contains("unusable"))
    }

    @Test func badClientAuthType() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: VerifyClientCert
            """)
        #expect(error.keyPath == "tls_server_config.client_auth_type")
        #expect(error.line == 4)
        #expect(error.message.contains("\"VerifyClientCert\""))
        #expect(error.message.contains("RequireAndVerifyClientCert"))
    }

    @Test func verifyingClientAuthNeedsCA() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
            """)
        #expect(error.keyPath == "tls_server_config.client_auth_type")
        #expect(error.message.contains("client_ca_file"))
    }

    @Test func allowedSANsNeedVerifiedClientCertificates() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: VerifyClientCertIfGiven
              client_ca_file: server.pem
              client_allowed_sans: [client.example]
            """)
        #expect(error.keyPath == "tls_server_config.client_allowed_sans")
        #expect(error.line == 6)
    }

    @Test func badVersion() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              min_version: TLS14
            """)
        #expect(error.keyPath == "tls_server_config.min_version")
        #expect(error.line == 4)
        #expect(error.message.contains("TLS14"))
    }

    @Test func maxVersionOlderThanMinVersion() throws {
        let error = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              min_version: TLS13
              max_version: TLS12
            """)
        #expect(error.keyPath == "tls_server_config.max_version")
        #expect(error.line == 5)
    }

    @Test func unsupportedCurveAndCipher() throws {
        let curve = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              curve_preferences: [X25519, CurveP999]
            """)
        #expect(curve.keyPath == "tls_server_config.curve_preferences[1]")
        #expect(curve.message.contains("not supported"))
        let cipher = try self.parseError(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              cipher_suites:
                - TLS_RSA_WITH_3DES_EDE_CBC_SHA
            """)
        #expect(cipher.keyPath == "tls_server_config.cipher_suites[0]")
        #expect(cipher.line == 5)
    }

    @Test func badHash() throws {
        let error = try self.parseError(
            """
            basic_auth_users:
              alice: \(Fixtures.bcryptHash)
              bob: hunter2
            """)
        #expect(error.keyPath == "basic_auth_users.bob")
        #expect(error.line == 3)
        #expect(error.message.contains("bcrypt"))
        #expect(!error.description.contains("hunter2"))
    }

    @Test func headerOutsideTheToolkitsList() throws {
        let name = try self.parseError(
            """
            http_server_config:
              headers:
                X-Powered-By: swift
            """)
        #expect(name.keyPath == "http_server_config.headers.X-Powered-By")
        #expect(name.line == 3)
        let value = try self.parseError(
            """
            http_server_config:
              headers:
                X-Frame-Options: allow-from example.com
            """)
        #expect(value.keyPath == "http_server_config.headers.X-Frame-Options")
        #expect(value.message.contains("deny"))
    }

    @Test func wrongValueType() throws {
        let error = try self.parseError("http_server_config:\n  http2: sometimes\n")
        #expect(error.keyPath == "http_server_config.http2")
        #expect(error.line == 2)
    }

    /// The reader treated null as unset, unlike the policy's; now both refuse it. An empty section must not mean
    /// plain HTTP or no authentication.
    @Test(arguments: [
        ("tls_server_config:\n", 1, "tls_server_config"),
        ("basic_auth_users: ~\n", 1, "basic_auth_users"),
        ("basic_auth_users:\n  alice: ~\n", 2, "basic_auth_users.alice"),
        ("http_server_config:\n  headers: null\n", 2, "http_server_config.headers"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: ~\n", 3, "http_server_config.headers.X-Frame-Options"),
        ("tls_server_config:\n  cert_file: ~\n  key_file: server.key\n", 2, "tls_server_config.cert_file"),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  cipher_suites: [~]\n", 4,
            "tls_server_config.cipher_suites[0]"
        ),
    ])
    func nullIsAnError(yaml: String, line: Int, keyPath: String) throws {
        let error = try self.parseError(yaml)
        #expect(error.keyPath == keyPath)
        #expect(error.line == line)
    }

    @Test(arguments: ["yes", "on", "True", "\"true\"", "1"])
    func booleansAreTrueOrFalseOnly(value: String) throws {
        let error = try self.parseError("http_server_config:\n  http2: \(value)\n")
        #expect(error.keyPath == "http_server_config.http2")
        #expect(error.message.contains("true or false"))
        #expect(try self.parse("http_server_config:\n  http2: false\n").headers.isEmpty)
    }

    @Test func emptyFileMeansNoConfiguration() throws {
        for yaml in ["", "# nothing\n", "~\n"] {
            let configuration = try self.parse(yaml)
            #expect(configuration.tls == nil && configuration.basicAuthUsers.isEmpty)
        }
    }

    @Test func invalidYAML() throws {
        let error = try self.parseError("tls_server_config: [unclosed\n")
        #expect(error.message.contains("not valid YAML"))
    }

    @Test func loadResolvesRelativePathsAgainstTheFilesDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("server.pem", Fixtures.certificate)
        try directory.write("server.key", Fixtures.privateKey)
        let file = try directory.write(
            "web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n")
        #expect(try WebConfiguration.load(path: file).tls != nil)
    }

    @Test func unreadableConfigurationFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = "\(directory.path)/absent.yml"
        let error = try #require(throws: WebConfigurationError.self) { try WebConfiguration.load(path: missing) }
        #expect(error.file == missing)
        #expect(error.description.contains("No such file or directory"))
    }
}
