import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The action API of the whole agent on the demo host: authentication, status codes, decisions and
/// actions executed on libvirt's test driver.
@Suite struct ActionAPITests {
    static let rules = """
          - name: start-not-running
            alertname: KVMDomainNotRunning
            action: start
          - name: shutdown-hung
            alertname: KVMDomainHung
            action: shutdown
          - name: rehearse
            alertname: Rehearsal
            action: shutdown
            dry_run: true
        """

    static func withActionAgent(
        uri: String = Repo.demoURI, _ body: @Sendable (any TestClientProtocol, RemediationFixture) async throws -> Void
    ) async throws {
        let fixture = try RemediationFixture(
            domains: ["vm_centos7", "web01", "backup01", "db01", "build01"], rules: rules)
        defer { fixture.remove() }
        let policy = try fixture.policy()
        try await withAgent(uri: uri, policy: policy) { client in
            if uri == Repo.demoURI {
                _ = try await client.scrape(until: DemoHostTests.ready)
            }
            try await body(client, fixture)
        }
    }

    @Test func tokensAndScopes() async throws {
        try await Self.withActionAgent { client, _ async throws in
            let payload = RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "web01")
            #expect(try await client.post("/api/v1/alertmanager", json: payload, token: nil).status == .unauthorized)
            #expect(
                try await client.post("/api/v1/alertmanager", json: payload, token: "not-a-valid-token-at-all").status
                    == .unauthorized)
            #expect(
                try await client.post("/api/v1/alertmanager", json: payload, token: RemediationFixture.apiToken).status
                    == .forbidden)
            #expect(
                try await client.post("/api/v1/domains/web01/start", json: nil, token: RemediationFixture.webhookToken)
                    .status == .forbidden)
            #expect(try await client.get("/api/v1/actions", token: nil).status == .unauthorized)
            // The list names domains, UUIDs, fingerprints and principals: a webhook-only token must not read it.
            #expect(
                try await client.get("/api/v1/actions", token: RemediationFixture.webhookToken).status == .forbidden)
            #expect(
                try await client.get("/api/v1/actions/1", token: RemediationFixture.webhookToken).status == .forbidden)
            #expect(try await client.get("/api/v1/actions", token: RemediationFixture.apiToken).status == .ok)
        }
    }

    /// An audit log the agent cannot write (a directory in its place: the tests run as root, who writes
    /// through any mode bits): requests get 503 and nothing is done, `/readyz` and the metric say so, until
    /// the log can be written again.
    @Test func anUnwritableAuditLogRefusesActionsAndShowsOnReadiness() async throws {
        try await Self.withActionAgent { client, fixture async throws in
            func readyz() async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/readyz", method: .get) { ($0.status, String(buffer: $0.body)) }
            }
            func writable() async throws -> Double? {
                try await client.scrape().samples.first {
                    $0.name == "kvm_agent_remediation_storage_writable" && $0.labels["file"] == "audit_log"
                }?.value
            }
            #expect(try await readyz().0 == .ok)
            #expect(try await writable() == 1)
            try? FileManager.default.removeItem(atPath: fixture.auditPath)
            try FileManager.default.createDirectory(atPath: fixture.auditPath, withIntermediateDirectories: false)

            let alert = RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "web01")
            let refused = try await client.post("/api/v1/alertmanager", json: alert)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.text.contains("audit log"), "\(refused.text)")
            let manual = try await client.post(
                "/api/v1/domains/web01/start", json: nil, token: RemediationFixture.apiToken)
            #expect(manual.status == .serviceUnavailable)
            #expect((try await client.get("/api/v1/actions").json["actions"] as? [Any])?.isEmpty == true)
            let (status, body) = try await readyz()
            #expect(status == .serviceUnavailable)
            #expect(body.contains("cannot write the audit log \(fixture.auditPath)"), "\(body)")
            #expect(try await writable() == 0)

            try FileManager.default.removeItem(atPath: fixture.auditPath)
            #expect(try await readyz().0 == .ok)
            #expect(try await writable() == 1)
            #expect(try await client.post("/api/v1/alertmanager", json: alert).status == .ok)
        }
    }

    @Test func badRequestsGetClearErrorsAndChangeNothing() async throws {
        try await Self.withActionAgent { client, fixture async throws in
            let good = RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "backup01")
            let cases: [(String, String?, String, HTTPResponse.Status)] = [
                ("wrong media type", good, "text/plain", .unsupportedMediaType),
                ("empty body", "", "application/json", .badRequest),
                ("not JSON", "{alerts:", "application/json", .badRequest),
                ("missing status", #"{"version":"4","alerts":[]}"#, "application/json", .badRequest),
                (
                    "labels of the wrong type",
                    good.replacingOccurrences(of: #""labels":{"#, with: #""labels":[{"#).replacingOccurrences(
                        of: #""instance":"test-host:9760"}"#, with: #""instance":"test-host:9760"}]"#),
                    "application/json", .badRequest
                ),
                (
                    "version 3", good.replacingOccurrences(of: #""version":"4""#, with: #""version":"3""#),
                    "application/json", .badRequest
                ),
            ]
            for (name, body, type, status) in cases {
                let answer = try await client.post("/api/v1/alertmanager", json: body, contentType: type)
                #expect(answer.status == status, "\(name): \(answer.status) \(answer.text)")
                #expect(answer.json["error"] is String, "\(name): no error reason in \(answer.text)")
            }
            // Over 1 MiB: the server answers before reading the body and closes the connection, which this test
            // client does not reopen, so curl asks.
            let large = fixture.directory.appending(path: "large.json")
            try (String(repeating: " ", count: (1 << 20) + 1) + good).write(
                to: large, atomically: true, encoding: .utf8)
            let tooLarge = try curl([
                "-X", "POST", "-H", "Authorization: Bearer \(RemediationFixture.webhookToken)", "-H",
                "Content-Type: application/json", "--data-binary", "@\(large.path)",
                "http://127.0.0.1:\(try #require(client.port))/api/v1/alertmanager",
            ])
            #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.text)")
            #expect(tooLarge.json["error"] is String, "no error reason in \(tooLarge.text)")
            let missing = try await client.post("/api/v1/alertmanager", json: #"{"version":"4","status":"firing"}"#)
            #expect(missing.text.contains("alerts: missing"))
            #expect(
                try await client.post(
                    "/api/v1/domains/no-such-domain/start", json: nil, token: RemediationFixture.apiToken
                )
                .status == .notFound)
            #expect(try await client.get("/api/v1/actions/424242").status == .notFound)
            let badOptions = try await client.post(
                "/api/v1/domains/web01/shutdown", json: #"{"force_after_seconds":"soon"}"#,
                token: RemediationFixture.apiToken)
            #expect(badOptions.status == .badRequest)
            // Nothing above was decided, so nothing was audited.
            #expect(try fixture.auditRecords().isEmpty)
            let scrape = try await client.scrape()
            #expect(scrape.state(of: "backup01") == "shutoff")
            #expect(
                scrape.value("kvm_agent_http_requests_total", ["endpoint": "/api/v1/alertmanager", "code": "415"]) == 1)
        }
    }

    @Test func theBodyLimitIsThePolicys() async throws {
        let fixture = try RemediationFixture(
            domains: ["web01"], rules: Self.rules, extra: "api:\n  max_body_bytes: 2048")
        defer { fixture.remove() }
        try await withAgent(uri: Repo.demoURI, policy: try fixture.policy()) { client in
            _ = try await client.scrape(until: DemoHostTests.ready)
            let small = RemediationFixture.notification(alert: "Rehearsal", domain: "web01")
            #expect(try await client.post("/api/v1/alertmanager", json: small).status == .ok)
            let padded = String(repeating: " ", count: 2048) + small
            #expect(try await client.post("/api/v1/alertmanager", json: padded).status == .contentTooLarge)
        }
    }

    @Test func unknownFieldsAreAcceptedAndOtherHostsSkipped() async throws {
        try await Self.withActionAgent { client, _ async throws in
            // The shared sample names kvm01.example.net, which is not this host.
            var sample = RemediationFixture.notification(
                alert: "KVMDomainNotRunning", domain: "backup01", instance: "kvm01.example.net:9760")
            sample = sample.replacingOccurrences(
                of: #""truncatedAlerts":0"#, with: #""truncatedAlerts":0,"notification_reason":"new alerts added""#)
            let answer = try await client.post("/api/v1/alertmanager", json: sample)
            #expect(answer.status == .ok)
            #expect(answer.reason == "not_this_host")
        }
    }

    @Test func webhookAndManualActionsRunOnTheTestDriver() async throws {
        try await Self.withActionAgent { client, fixture async throws in
            // backup01 is shut off: the alert starts it, and the started event confirms it.
            let start = RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "backup01")
            let queued = try await client.post("/api/v1/alertmanager", json: start)
            #expect(queued.status == .ok)
            #expect(queued.kind == "queued", "\(queued.text)")
            let outcome = try await client.actionOutcome(try #require(queued.actionID), within: .seconds(10))
            #expect(outcome["result"] as? String == "success")
            #expect(outcome["state_before"] as? String == "shutoff")
            #expect(outcome["state_after"] as? String == "running")
            // Alertmanager retries and HA peers send the same notification again: it acts once.
            let again = try await client.post("/api/v1/alertmanager", json: start)
            #expect(again.reason == "duplicate")

            // Manual shutdown, then a dry-run rule that would shut it down again changes nothing.
            let manual = try await client.post(
                "/api/v1/domains/vm_centos7/shutdown", json: nil, token: RemediationFixture.apiToken)
            #expect(manual.status == .accepted, "\(manual.text)")
            let manualOutcome = try await client.actionOutcome(try #require(manual.actionID), within: .seconds(10))
            #expect(manualOutcome["result"] as? String == "success")
            let started = try await client.post(
                "/api/v1/domains/vm_centos7/start", json: #"{"dry_run":true}"#, token: RemediationFixture.apiToken)
            #expect(started.status == .ok)
            #expect(started.kind == "dry_run")
            let rehearsal = try await client.post(
                "/api/v1/alertmanager", json: RemediationFixture.notification(alert: "Rehearsal", domain: "web01"))
            #expect(rehearsal.kind == "dry_run")
            let forced = try await client.post(
                "/api/v1/domains/web01/shutdown", json: #"{"force_after_seconds":5}"#,
                token: RemediationFixture.apiToken)
            #expect(forced.status == .conflict)
            #expect(forced.reason == "force_not_allowed")

            let scrape = try await client.scrape()
            #expect(scrape.state(of: "backup01") == "running")
            #expect(scrape.state(of: "vm_centos7") == "shutoff")
            #expect(scrape.state(of: "web01") == "running")
            #expect(scrape.value("kvm_agent_remediation_actions_total", ["action": "start", "result": "success"]) == 1)
            #expect(
                scrape.value("kvm_agent_remediation_actions_total", ["action": "shutdown", "result": "success"]) == 1)
            #expect(
                scrape.value("kvm_agent_remediation_decisions_total", ["decision": "skipped", "reason": "duplicate"])
                    == 1)
            #expect(scrape.value("kvm_agent_remediation_dry_run") == 0)
            #expect(try promtoolProblems(scrape.text) == "")

            let audit = try fixture.auditRecords()
            #expect(audit.contains { $0["event"] as? String == "outcome" && $0["result"] as? String == "success" })
            let text = try String(contentsOfFile: fixture.auditPath, encoding: .utf8)
            #expect(!text.contains(RemediationFixture.webhookToken) && !text.contains(RemediationFixture.apiToken))
            let listed = try await client.get("/api/v1/actions").json["actions"] as? [[String: Any]]
            #expect((listed?.count ?? 0) >= 6)
        }
    }

    @Test func unreachableLibvirtAnswers503() async throws {
        try await Self.withActionAgent(uri: "qemu+unix:///system?socket=/nonexistent/kvm-agent-test.sock") {
            client, fixture in
            let answer = try await client.post(
                "/api/v1/alertmanager",
                json: RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "web01"))
            #expect(answer.status == .serviceUnavailable)
            #expect(try fixture.auditRecords().isEmpty)
        }
    }
}
