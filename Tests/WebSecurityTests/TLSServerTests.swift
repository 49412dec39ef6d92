import Foundation
import Hummingbird
import Logging
import Testing
import WebSecurity

/// Real TLS: a Hummingbird server built by `serverBuilder()` on 127.0.0.1, with curl as the client.
@Suite(
    "TLS and client certificates",
    .enabled(if: ExternalTools.available, "needs the openssl and curl commands (Debian packages openssl, curl)")
)
struct TLSServerTests {
    /// Writes the YAML next to the PKI's files (relative paths), loads it and serves `/ping` until `body` returns.
    private func withServer(
        _ pki: TestPKI, _ yaml: String, _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let file = try pki.directory.write("web.yml", yaml)
        let configuration = try WebConfiguration.load(path: file)
        let router = Router()
        router.get("/ping") { _, _ in "pong" }
        var logger = Logger(label: "web-security-tests")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: try configuration.serverBuilder(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portContinuation.finish() }
                try await app.run()
            }
            group.addTask {
                // Deadline for start-up: ends the wait below if the server never reports its port.
                try await Task.sleep(for: .seconds(30))
                portContinuation.finish()
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next(), "the server did not start")
            try #require(port > 0)
            try await body(port)
            group.cancelAll()
        }
    }

    /// curl's exit status and the HTTP status it saw ("000" when there was no response).
    private func curl(_ pki: TestPKI, _ url: String, _ options: [String] = []) async throws -> (Int32, String) {
        let curl = try #require(ExternalTools.curl)
        let arguments =
            ["--silent", "--show-error", "--noproxy", "*", "--max-time", "10", "--output", "/dev/null"]
            + ["--write-out", "%{http_code}"] + options + [url]
        let result = try await runProcess(curl, arguments, workingDirectory: pki.directory.path)
        return (result.status, result.output)
    }

    private func clientCertificate(_ pki: TestPKI, _ name: String) -> [String] {
        ["--cacert", pki.caFile, "--cert", pki.certificate(name), "--key", pki.key(name)]
    }

    @Test func servesHTTPSAndRefusesPlainHTTPAndOldVersions() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let yaml = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS13\n"
        try await self.withServer(pki, yaml) { port in
            let https = try await self.curl(pki, "https://127.0.0.1:\(port)/ping", ["--cacert", pki.caFile])
            #expect(https == (0, "200"))
            let plain = try await self.curl(pki, "http://127.0.0.1:\(port)/ping")
            #expect(plain.0 != 0 && plain.1 != "200", "plain HTTP to the TLS port must fail: \(plain)")
            let tls12 = try await self.curl(
                pki, "https://127.0.0.1:\(port)/ping", ["--cacert", pki.caFile, "--tls-max", "1.2"])
            #expect(tls12.0 != 0 && tls12.1 != "200", "TLS 1.2 must be refused with min_version TLS13: \(tls12)")
        }
    }

    @Test func requireAndVerifyClientCert() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let yaml = """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
            """
        try await self.withServer(pki, yaml) { port in
            let url = "https://127.0.0.1:\(port)/ping"
            let anonymous = try await self.curl(pki, url, ["--cacert", pki.caFile])
            #expect(anonymous.1 != "200", "no client certificate must be refused: \(anonymous)")
            let trusted = try await self.curl(pki, url, self.clientCertificate(pki, "client"))
            #expect(trusted == (0, "200"))
            let rogue = try await self.curl(pki, url, self.clientCertificate(pki, "rogue-client"))
            #expect(rogue.1 != "200", "a certificate from another CA must be refused: \(rogue)")
        }
    }

    @Test func requireAnyClientCertTakesUnverifiedCertificates() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let yaml = """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAnyClientCert
            """
        try await self.withServer(pki, yaml) { port in
            let url = "https://127.0.0.1:\(port)/ping"
            let anonymous = try await self.curl(pki, url, ["--cacert", pki.caFile])
            #expect(anonymous.1 != "200", "no client certificate must be refused: \(anonymous)")
            let rogue = try await self.curl(pki, url, self.clientCertificate(pki, "rogue-client"))
            #expect(rogue == (0, "200"))
        }
    }

    @Test func clientAllowedSANs() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let yaml = """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
              client_allowed_sans: ["\(TestPKI.allowedClientSAN)"]
            """
        try await self.withServer(pki, yaml) { port in
            let url = "https://127.0.0.1:\(port)/ping"
            let allowed = try await self.curl(pki, url, self.clientCertificate(pki, "client"))
            #expect(allowed == (0, "200"))
            let other = try await self.curl(pki, url, self.clientCertificate(pki, "other-client"))
            #expect(other.0 != 0 && other.1 != "200", "a SAN outside client_allowed_sans must be refused: \(other)")
            let rogue = try await self.curl(pki, url, self.clientCertificate(pki, "rogue-client"))
            #expect(rogue.1 != "200", "an allowed SAN from another CA must still be refused: \(rogue)")
        }
    }
}
