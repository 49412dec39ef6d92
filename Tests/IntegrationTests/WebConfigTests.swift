import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Testing

/// `--web.config.file` on the agent binary: a bad file stops it at start; TLS and basic auth cover every
/// endpoint, and action API requests authenticate with their bearer token instead.
@Suite struct WebConfigTests {
    @Test func invalidFileStopsTheAgentWithTheReason() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "web.yml").path
        try "tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.key\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let result = try run(Repo.agentBinary.path, ["--web.config.file", file, "--libvirt.uri", Repo.demoURI])
        #expect(result.status != 0)
        #expect(result.output.contains("--web.config.file"), "\(result.output)")
        #expect(result.output.contains("cert_file"), "\(result.output)")
    }

    @Test(.enabled(if: which("openssl") != nil && which("curl") != nil))
    func tlsAndBasicAuthCoverEveryEndpointButBearerAPICalls() async throws {
        let fixture = try RemediationFixture(
            domains: ["backup01"], rules: "  - name: start\n    alertname: KVMDomainNotRunning\n    action: start\n")
        defer { fixture.remove() }
        let dir = fixture.directory.path
        let made = try await runOffPool(
            try #require(which("openssl")),
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "\(dir)/key.pem",
                "-out", "\(dir)/cert.pem",
            ])
        try #require(made.status == 0, "\(made.output)")
        let hash = Bcrypt.hash("scrape-secret", cost: 4)
        try """
        tls_server_config:
          cert_file: cert.pem
          key_file: key.pem
        basic_auth_users:
          prometheus: \(hash)
        """.write(toFile: "\(dir)/web.yml", atomically: true, encoding: .utf8)

        var agent = try await AgentProcess(
            policy: fixture.policyPath, uri: Repo.demoURI, extra: ["--web.config.file", "\(dir)/web.yml"], tls: true)
        defer { agent.kill() }
        agent.curlOptions = ["--cacert", "\(dir)/cert.pem"]
        // Without credentials: 401 on every endpoint.
        var ready = false
        let end = ContinuousClock.now + .seconds(30)
        while !ready && ContinuousClock.now < end {
            ready = (try? agent.curl(["\(agent.base)/metrics"]))?.status == .unauthorized
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the agent never answered over TLS")
        #expect(try agent.curl(["\(agent.base)/healthz"]).status == .unauthorized)
        #expect(try agent.curl(["-u", "prometheus:wrong", "\(agent.base)/metrics"]).status == .unauthorized)
        // A bearer token does not open the non-API endpoints.
        let bearer = ["-H", "Authorization: Bearer \(RemediationFixture.apiToken)"]
        #expect(try agent.curl(bearer + ["\(agent.base)/metrics"]).status == .unauthorized)
        let metrics = try agent.curl(["-u", "prometheus:scrape-secret", "\(agent.base)/metrics"])
        #expect(metrics.status == .ok)
        #expect(metrics.text.contains("kvm_libvirt_up"))
        // The action API takes its bearer token instead of basic auth.
        #expect(try agent.get("/api/v1/actions").status == .ok)
        // Plain HTTP to the TLS port gets no answer.
        let plain = try await runOffPool(
            try #require(which("curl")), ["-s", "-m", "5", "-o", "/dev/null", "http://127.0.0.1:\(agent.port)/metrics"])
        #expect(plain.status != 0)
    }
}
