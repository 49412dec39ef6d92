import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Remediation
import Testing

/// A policy, tokens file, state file and audit log in a fresh directory, for one test.
struct RemediationFixture {
    static let webhookToken = "7c1e94b0a3f25d86e0b7c4a19f3d2e58"
    static let apiToken = "d04f7a2b96e1c3580a9be27f4c61d3b5"

    let directory: URL
    let policyPath: String

    /// `rules` and `extra` are YAML appended to a policy with dry run off, no cooldown to speak of and
    /// this host known as `test-host`; `limits` are more lines of its `limits` block.
    init(
        domains: [String], rules: String, extra: String = "", limits: String = "", dryRun: Bool = false,
        hostNames: [String] = ["test-host"]
    ) throws {
        directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-remediation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "alertmanager webhook \(Self.webhookToken)\noperator api \(Self.apiToken)\n".write(
            to: directory.appending(path: "tokens"), atomically: true, encoding: .utf8)
        let names = domains.map { "\"\($0)\"" }.joined(separator: ", ")
        let yaml = """
            dry_run: \(dryRun)
            state_file: state/remediation-state.json
            audit_log: state/audit.jsonl
            tokens_file: tokens
            host:
              names: [\(hostNames.map { "\"\($0)\"" }.joined(separator: ", "))]
            limits:
              cooldown: 1ms
              max_actions: 10
              start_timeout: 60s
              force_timeout: 30s
            \(limits)
            breaker:
              min_domains: 1000
            domains:
              names: [\(names)]
            \(extra)
            rules:
            \(rules)
            """
        policyPath = directory.appending(path: "policy.yml").path
        try yaml.write(toFile: policyPath, atomically: true, encoding: .utf8)
    }

    func policy() throws -> Policy { try Policy.load(path: policyPath) }

    var auditPath: String { directory.appending(path: "state/audit.jsonl").path }
    var statePath: String { directory.appending(path: "state/remediation-state.json").path }

    /// Every audit line, parsed; a line that is not a JSON object fails the test.
    func auditRecords() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: auditPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "audit line: \(line)")
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// An Alertmanager v4 notification with one alert.
    static func notification(
        alert: String, domain: String, status: String = "firing", instance: String = "test-host:9760",
        fingerprint: String = UUID().uuidString.prefix(16).lowercased(), startsAt: String = "2026-11-27T10:00:00Z"
    ) -> String {
        """
        {"version":"4","groupKey":"{}:{alertname=\\"\(alert)\\"}","status":"\(status)","receiver":"kvm-agent",
         "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093","truncatedAlerts":0,
         "alerts":[{"status":"\(status)","labels":{"alertname":"\(alert)","domain":"\(domain)","instance":"\(instance)"},
           "annotations":{},"startsAt":"\(startsAt)","endsAt":"0001-01-01T00:00:00Z","generatorURL":"",
           "fingerprint":"\(fingerprint)"}]}
        """
    }
}

/// What the action API answered: status and the JSON body.
struct APIAnswer: Sendable {
    var status: HTTPResponse.Status
    var text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// The first decision of a webhook answer, or the record of a manual one.
    var record: [String: Any] {
        (json["decisions"] as? [[String: Any]])?.first ?? json
    }

    var reason: String? { (record["decision"] as? [String: Any])?["reason"] as? String }
    var kind: String? { (record["decision"] as? [String: Any])?["kind"] as? String }
    var actionID: String? { record["id"] as? String }
}

extension TestClientProtocol {
    func post(
        _ path: String, json: String?, token: String? = RemediationFixture.webhookToken,
        contentType: String = "application/json"
    ) async throws -> APIAnswer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = contentType }
        return try await execute(
            uri: path, method: .post, headers: headers, body: json.map { ByteBuffer(string: $0) }
        ) { APIAnswer(status: $0.status, text: String(buffer: $0.body)) }
    }

    func get(_ path: String, token: String? = RemediationFixture.apiToken) async throws -> APIAnswer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: path, method: .get, headers: headers) {
            APIAnswer(status: $0.status, text: String(buffer: $0.body))
        }
    }

    /// Posts `alert` for `domain` to the webhook, expects it queued, and waits for the action's outcome.
    func remediate(
        _ alert: String, domain: String, within deadline: Duration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        let answer = try await post(
            "/api/v1/alertmanager", json: RemediationFixture.notification(alert: alert, domain: domain))
        #expect(answer.kind == "queued", "\(answer.text)", sourceLocation: sourceLocation)
        return try await actionOutcome(
            try #require(answer.actionID, sourceLocation: sourceLocation), within: deadline)
    }

    /// Polls the action until it has an outcome, or `deadline` passes.
    func actionOutcome(_ id: String, within deadline: Duration) async throws -> [String: Any] {
        let end = ContinuousClock.now + deadline
        while true {
            let record = try await get("/api/v1/actions/\(id)").json
            if let status = record["status"] as? String, ["finished", "cancelled", "interrupted"].contains(status) {
                return record
            }
            if ContinuousClock.now >= end {
                Issue.record("action \(id) has no outcome after \(deadline): \(record)")
                return record
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
