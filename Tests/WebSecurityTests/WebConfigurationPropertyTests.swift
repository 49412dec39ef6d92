import PropertyBased
import TestSupport
import Testing

@testable import WebSecurity

/// The web configuration reader against damaged documents: never a crash; either a configuration or an error that
/// names the file and a line or key.
@Suite struct WebConfigurationPropertyTests {
    static let document = """
        tls_server_config:
          cert_file: server.pem
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: server.pem
          client_allowed_sans:
            - client.example
          min_version: TLS12
          max_version: TLS13
          cipher_suites:
            - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
          curve_preferences: [X25519]
          prefer_server_cipher_suites: true
        http_server_config:
          http2: false
          headers:
            X-Frame-Options: deny
        basic_auth_users:
          alice: \(Fixtures.bcryptHash)
        """

    static let lines = document.split(separator: "\n").map(String.init)

    private func check(_ yaml: String, in directory: TemporaryDirectory) {
        let lineCount = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
        do {
            let configuration = try WebConfiguration.parse(yaml: yaml, relativeTo: directory.path, file: "web.yml")
            #expect(configuration.basicAuthUsers.values.allSatisfy(BasicAuthUsers.isBcryptHash))
        } catch let error as WebConfigurationError {
            #expect(error.file == "web.yml")
            #expect(!error.message.isEmpty)
            #expect(error.line != nil || !error.keyPath.isEmpty, "\(error)\n\(yaml)")
            #expect(error.line.map { (1...lineCount).contains($0) } ?? true, "\(error)\n\(yaml)")
        } catch {
            Issue.record("unexpected error \(error)\n\(yaml)")
        }
    }

    private func fixtureDirectory() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("server.pem", Fixtures.certificate)
        try directory.write("server.key", Fixtures.privateKey)
        return directory
    }

    @Test func theDocumentIsValid() throws {
        let directory = try fixtureDirectory()
        defer { directory.remove() }
        #expect(try WebConfiguration.parse(yaml: Self.document, relativeTo: directory.path).tls != nil)
    }

    @Test func damagedDocumentsAreValidOrLocatedErrors() async throws {
        let directory = try fixtureDirectory()
        defer { directory.remove() }
        await checkProperty(count: 400, input: Gen<UInt64>.value()) { seed in
            var rng = Xoshiro(seed: (seed, ~seed, seed &* 31, 1))
            check(YAMLMutation.mutate(Self.lines, using: &rng), in: directory)
        }
    }

    @Test func arbitraryTextIsRejectedCleanly() async throws {
        let directory = try fixtureDirectory()
        defer { directory.remove() }
        await checkProperty(count: 1000, input: Gen<UInt64>.value()) { seed in
            var rng = Xoshiro(seed: (seed, ~seed, seed &* 31, 1))
            let keys = Self.lines.map { String($0.prefix { $0 != ":" }) + ":" }
            let text = (0..<Int.random(in: 0...10, using: &rng)).map { _ in
                Bool.random(using: &rng)
                    ? keys.randomElement(using: &rng)! : YAMLMutation.noise(maxLength: 12, using: &rng)
            }
            check(text.joined(separator: ["\n", " ", "\n  "].randomElement(using: &rng)!), in: directory)
        }
    }

    @Test func everyHostileValueAtEveryKey() throws {
        let directory = try fixtureDirectory()
        defer { directory.remove() }
        for index in Self.lines.indices {
            for value in YAMLMutation.hostileScalars {
                var lines = Self.lines
                lines[index] = YAMLMutation.replacingValue(lines[index], with: value)
                check(lines.joined(separator: "\n"), in: directory)
            }
        }
    }
}
