import Foundation
import HTTPTypes
import Testing

/// SIGHUP (`systemctl reload`) re-reads the tokens file, the policy and the web configuration; a file that does
/// not validate is refused, counted, and the one in force stays.
@Suite struct ReloadTests {
    /// The tests of SIGHUP turn the watching of files off, so that the signal is what reloads.
    static let onHangupOnly = ["--config.auto-reload-interval", "0s"]
    static let watching = ["--config.auto-reload-interval", "200ms"]

    /// Sends SIGHUP until `condition` holds (a SIGHUP that arrives while the agent starts is ignored).
    func hangUp(
        _ agent: AgentProcess, until what: String, _ condition: () throws -> Bool
    ) async throws -> Bool {
        try await agent.daemon.wait(for: what, within: .seconds(30)) {
            _ = kill(agent.daemon.pid, SIGHUP)
            return try condition()
        }
    }

    func metric(_ agent: AgentProcess, _ series: String) throws -> Double? {
        let text = try agent.curl(["\(agent.base)/metrics"]).text
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.dropFirst(series.count + 1))
        }
    }

    @Test func rotatedTokenReplacesTheOld() async throws {
        let fixture = try RemediationFixture(
            domains: ["web01"], rules: "  - name: r\n    alertname: A\n    action: start\n", dryRun: true)
        defer { fixture.remove() }
        let agent = try await AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, extra: Self.onHangupOnly)
        defer { agent.kill() }
        #expect(
            try await agent.daemon.wait(for: "the API", within: .seconds(30)) {
                try agent.get("/api/v1/").status.code > 0
            })
        #expect(try agent.get("/api/v1/actions").status == .ok)
        let rotated = "5be07c9d1a43f2e86d0c9b71a2e4f358"
        try "alertmanager webhook \(RemediationFixture.webhookToken)\noperator api \(rotated)\n".write(
            to: fixture.directory.appending(path: "tokens"), atomically: true, encoding: .utf8)
        #expect(
            try await hangUp(agent, until: "the rotated token accepted") {
                try agent.get("/api/v1/actions", token: rotated).status == .ok
            })
        #expect(try agent.get("/api/v1/actions").status == .unauthorized)
        #expect(try metric(agent, "kvm_agent_config_last_reload_successful{file=\"tokens\"}") == 1)
    }

    @Test func invalidPolicyIsRefusedAndTheOldOneActs() async throws {
        let fixture = try RemediationFixture(
            domains: ["web01"], rules: "  - name: r\n    alertname: A\n    action: start\n", dryRun: true)
        defer { fixture.remove() }
        let agent = try await AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, extra: Self.onHangupOnly)
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: "web01")
        func reason(_ alert: String) throws -> String? {
            let answer = try agent.post(
                "/api/v1/alertmanager", RemediationFixture.notification(alert: alert, domain: "web01"))
            return (answer.record["decision"] as? [String: Any])?["reason"] as? String
        }
        // web01 runs already, so the matched rule decides to do nothing; what matters is that it matched.
        let matched = try #require(try reason("A"))
        #expect(matched != "no_matching_rule")
        let original = try String(contentsOfFile: fixture.policyPath, encoding: .utf8)
        try original.replacingOccurrences(of: "action: start", with: "action: restart").write(
            toFile: fixture.policyPath, atomically: true, encoding: .utf8)
        let failures = "kvm_agent_config_reload_failures_total{file=\"policy\"}"
        #expect(try await hangUp(agent, until: "the refusal counted") { try metric(agent, failures) ?? 0 >= 1 })
        #expect(try metric(agent, "kvm_agent_config_last_reload_successful{file=\"policy\"}") == 0)
        #expect(
            agent.daemon.log.contains("must be start, shutdown, reset or reboot"), "\(agent.daemon.log.suffix(2000))")
        #expect(try reason("A") == matched)
        // A valid policy is taken: the rule now answers alert B only.
        try original.replacingOccurrences(of: "alertname: A", with: "alertname: B").write(
            toFile: fixture.policyPath, atomically: true, encoding: .utf8)
        #expect(try await hangUp(agent, until: "the new policy in force") { try reason("A") == "no_matching_rule" })
        #expect(try reason("B") == matched)
        #expect(try metric(agent, "kvm_agent_config_last_reload_successful{file=\"policy\"}") == 1)
    }

    /// A self-signed certificate and key in `dir` (cert.pem, key.pem), subject CN=`name`.
    static func makeCertificate(_ name: String, in dir: String) throws {
        let made = try run(
            try #require(which("openssl")),
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
                "1", "-subj", "/CN=\(name)", "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem",
            ])
        try #require(made.status == 0, "\(made.output)")
    }

    /// The certificate subject a new TLS connection to the agent is served.
    static func subject(_ agent: AgentProcess) throws -> String {
        let output = try run(
            try #require(which("curl")), ["-skv", "-m", "5", "-o", "/dev/null", "\(agent.base)/healthz"]
        )
        .output
        return output.split(separator: "\n").first { $0.contains("subject:") }.map(String.init) ?? ""
    }

    /// The agent on the demo host over TLS with a fresh certificate for CN=agent-one in `dir`, once it serves it.
    func tlsAgent(in dir: String, policy: String?, extra: [String]) async throws -> AgentProcess {
        try Self.makeCertificate("agent-one", in: dir)
        try "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n".write(
            toFile: "\(dir)/web.yml", atomically: true, encoding: .utf8)
        var agent = try await AgentProcess(
            policy: policy, uri: Repo.demoURI, extra: ["--web.config.file", "\(dir)/web.yml"] + extra, tls: true)
        agent.curlOptions = ["-k"]
        let served = try await agent.daemon.wait(for: "TLS", within: .seconds(30)) {
            try Self.subject(agent).contains("CN=agent-one")
        }
        #expect(served)
        return agent
    }

    @Test(.enabled(if: which("openssl") != nil)) func rotatedCertificateServesNewConnections() async throws {
        let fixture = try RemediationFixture(domains: ["web01"], rules: "  []")
        defer { fixture.remove() }
        let dir = fixture.directory.path
        let agent = try await tlsAgent(in: dir, policy: nil, extra: Self.onHangupOnly)
        defer { agent.kill() }
        try Self.makeCertificate("agent-two", in: dir)
        #expect(
            try await hangUp(agent, until: "the new certificate") { try Self.subject(agent).contains("CN=agent-two") })
        // A broken file is refused; the certificate in force stays.
        try "tls_server_config:\n  cert_file: missing.pem\n  key_file: key.pem\n".write(
            toFile: "\(dir)/web.yml", atomically: true, encoding: .utf8)
        let failures = "kvm_agent_config_reload_failures_total{file=\"web\"}"
        #expect(try await hangUp(agent, until: "the refusal counted") { try metric(agent, failures) ?? 0 >= 1 })
        #expect(try Self.subject(agent).contains("CN=agent-two"))
    }

    /// Without any signal: a renewed certificate (web.yml unchanged), a rotated tokens file and a broken policy
    /// are each seen within a few looks; the broken file is refused once, not at every look.
    @Test(.enabled(if: which("openssl") != nil)) func changedFilesAreReloadedWithoutASignal() async throws {
        let fixture = try RemediationFixture(
            domains: ["web01"], rules: "  - name: r\n    alertname: A\n    action: start\n", dryRun: true)
        defer { fixture.remove() }
        let dir = fixture.directory.path
        let agent = try await tlsAgent(in: dir, policy: fixture.policyPath, extra: Self.watching)
        defer { agent.kill() }

        try Self.makeCertificate("agent-two", in: dir)
        #expect(
            try await agent.daemon.wait(for: "the renewed certificate", within: .seconds(30)) {
                try Self.subject(agent).contains("CN=agent-two")
            })

        let rotated = "5be07c9d1a43f2e86d0c9b71a2e4f358"
        try "alertmanager webhook \(RemediationFixture.webhookToken)\noperator api \(rotated)\n".write(
            to: fixture.directory.appending(path: "tokens"), atomically: true, encoding: .utf8)
        #expect(
            try await agent.daemon.wait(for: "the rotated token", within: .seconds(30)) {
                try agent.get("/api/v1/actions", token: rotated).status == .ok
            })
        #expect(try agent.get("/api/v1/actions").status == .unauthorized)

        let policy = try String(contentsOfFile: fixture.policyPath, encoding: .utf8)
        try policy.replacingOccurrences(of: "action: start", with: "action: restart").write(
            toFile: fixture.policyPath, atomically: true, encoding: .utf8)
        let failures = "kvm_agent_config_reload_failures_total{file=\"policy\"}"
        #expect(
            try await agent.daemon.wait(for: "the refusal", within: .seconds(30)) {
                try metric(agent, failures) == 1
            })
        // Ten looks later, the unchanged broken file has not been read again.
        try await Task.sleep(for: .seconds(2))
        #expect(try metric(agent, failures) == 1)
        #expect(try metric(agent, "kvm_agent_config_last_reload_successful{file=\"policy\"}") == 0)
    }
}
