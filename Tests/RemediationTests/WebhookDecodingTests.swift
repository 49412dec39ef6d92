import Foundation
import Testing

@testable import Remediation

@Suite struct WebhookDecodingTests {
    private func decode(_ text: String) throws -> WebhookMessage {
        try WebhookMessage.decode(Array(text.utf8))
    }

    /// The reason `decode` gives, or nil when the body decodes.
    private func reason(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch let error as WebhookDecodingError {
            return error.reason
        } catch {
            return "unexpected error type \(type(of: error))"
        }
    }

    @Test func firingSampleDecodes() throws {
        let message = try decode(SampleNotifications.firing)
        #expect(message.receiver == "kvm-agent")
        #expect(message.status == .firing)
        #expect(message.truncatedAlerts == 0)
        #expect(message.groupKey.hasPrefix("{}/{remediation=\"start\"}"))
        let alert = try #require(message.alerts.first)
        #expect(message.alerts.count == 1)
        #expect(alert.status == .firing)
        #expect(alert.name == "KVMDomainNotRunning")
        #expect(alert.labels["domain"] == "vm_centos7")
        #expect(alert.labels["instance"] == "kvm01.example.net:9760")
        #expect(alert.labels.count == 5)
        #expect(alert.startsAt == "2026-11-26T10:15:02.123Z")
        #expect(alert.fingerprint == "6a3c1f0d9b2e4c7a")
    }

    @Test func truncatedGroupSampleDecodesWithItsUnknownField() throws {
        #expect(SampleNotifications.groupTruncated.contains("notification_reason"))
        let message = try decode(SampleNotifications.groupTruncated)
        #expect(message.truncatedAlerts == 3)
        #expect(message.alerts.map(\.status) == [.firing, .resolved])
        #expect(message.alerts.map { $0.labels["domain"] } == ["db01", "db02"])
        #expect(message.alerts.map(\.fingerprint) == ["0f1e2d3c4b5a6978", "1122334455667788"])
    }

    @Test func resolvedSampleDecodes() throws {
        let message = try decode(SampleNotifications.resolved)
        #expect(message.status == .resolved)
        #expect(message.alerts.map(\.status) == [.resolved])
        #expect(message.alerts.first?.startsAt == "2026-11-26T10:15:02.123Z")
    }

    @Test func unknownFieldsAnywhereAreAccepted() throws {
        let body = WebhookBodies.body(
            alerts: "[\(WebhookBodies.alert(extra: #""silencedBy": [], "score": {"nested": [1, 2.5, null]}"#))]",
            extra: #""notification_reason": "new alerts added", "futureFlag": true"#)
        let message = try decode(body)
        #expect(message.alerts.count == 1)
        #expect(message.alerts.first?.labels["domain"] == "vm_centos7")
    }

    @Test func optionalEnvelopeFieldsDefault() throws {
        let message = try decode(#"{"version": "4", "status": "firing", "alerts": []}"#)
        #expect(message.receiver == "")
        #expect(message.groupKey == "")
        #expect(message.truncatedAlerts == 0)
        #expect(message.alerts.isEmpty)
    }

    static let malformed: [(body: String, reason: String)] = [
        (WebhookBodies.body(version: nil), "version: missing"),
        (WebhookBodies.body(version: #""3""#), "version: only Alertmanager webhook version 4 is understood"),
        (WebhookBodies.body(version: "4"), "version: expected a string"),
        (WebhookBodies.body(version: "null"), "version: expected a string, found null"),
        (WebhookBodies.body(status: nil), "status: missing"),
        (WebhookBodies.body(status: #""pending""#), "status: invalid value"),
        (WebhookBodies.body(alerts: nil), "alerts: missing"),
        (WebhookBodies.body(alerts: #"{"0": {}}"#), "alerts: expected an array"),
        (WebhookBodies.body(alerts: #""none""#), "alerts: expected an array"),
        (WebhookBodies.body(truncatedAlerts: #""3""#), "truncatedAlerts: expected an integer"),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: nil))]"), "alerts[0].labels: missing"),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: "[]"))]"), "alerts[0].labels: expected an object"),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: #"{"domain": 7}"#))]"),
            "alerts[0].labels.domain: expected a string"
        ),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: #"{"domain": null}"#))]"),
            "alerts[0].labels.domain: expected a string, found null"
        ),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert(status: nil))]"), "alerts[0].status: missing"),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert(fingerprint: nil))]"), "alerts[0].fingerprint: missing"),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(fingerprint: #""""#))]"),
            "alerts[0].fingerprint: must not be empty"
        ),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert(startsAt: nil))]"), "alerts[0].startsAt: missing"),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(startsAt: #""yesterday""#))]"),
            "alerts[0].startsAt: not an RFC 3339 time"
        ),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(startsAt: "1764152102"))]"),
            "alerts[0].startsAt: expected a string"
        ),
        (
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert()), \(WebhookBodies.alert(fingerprint: #""""#))]"),
            "alerts[1].fingerprint: must not be empty"
        ),
        (WebhookBodies.body(alerts: "[\(WebhookBodies.alert()), 5]"), "alerts[1]: expected an object"),
        ("", "body is not valid JSON"),
        ("not json at all", "body is not valid JSON"),
        (#"{"version": "4", "#, "body is not valid JSON"),
        ("[]", "body: expected an object"),
        ("\"4\"", "body: expected an object"),
    ]

    @Test(arguments: malformed)
    func malformedBodiesAreRejectedNamingTheField(body: String, expected: String) {
        #expect(reason(body) == expected)
    }

    @Test func reasonsDoNotEchoThePayload() {
        let secret = "s3cr3t-payload-value"
        let bodies = [
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(startsAt: "\"\(secret)\""))]"),
            WebhookBodies.body(version: "\"\(secret)\""),
            WebhookBodies.body(status: "\"\(secret)\""),
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: "{\"domain\": \"\(secret)\", \"x\": 1}"))]"),
            WebhookBodies.body(truncatedAlerts: "\"\(secret)\""),
            "{\"\(secret)\"",
        ]
        for body in bodies {
            let text = reason(body)
            #expect(text != nil)
            #expect(text?.contains(secret) == false, "\(text ?? "")")
        }
    }

    /// Foundation reports numbers that do not fit without a coding path, so the reason cannot name the field;
    /// the body is still rejected as a whole.
    @Test(arguments: ["2.5", "1e400", "99999999999999999999"])
    func numbersThatDoNotFitAnIntegerAreRejected(literal: String) {
        #expect(reason(WebhookBodies.body(truncatedAlerts: literal)) != nil)
    }

    /// The path names a label by its name, which comes from the sender; values never appear.
    @Test func theReasonNamesTheOffendingLabel() {
        let body = WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: #"{"severity": ["critical"]}"#))]")
        #expect(reason(body) == "alerts[0].labels.severity: expected a string")
    }

    static let timestamps: [(text: String, valid: Bool)] = [
        ("2026-11-26T10:15:02Z", true),
        ("2026-11-26T10:15:02.123Z", true),
        ("2026-11-26T10:15:02.123456789+01:00", true),
        ("2026-11-26t10:15:02z", true),
        ("2026-11-26T10:15:02-05:30", true),
        ("2026-11-26 10:15:02Z", false),
        ("2026-11-26T10:15:02", false),
        ("2026-11-26T10:15:02.Z", false),
        ("2026-11-26T10:15:02+0100", false),
        ("2026-11-26T10:15:02Z ", false),
        ("26-11-26T10:15:02Z", false),
        ("", false),
    ]

    @Test(arguments: timestamps)
    func startsAtMustBeRFC3339(text: String, valid: Bool) {
        let result = reason(WebhookBodies.body(alerts: "[\(WebhookBodies.alert(startsAt: "\"\(text)\""))]"))
        #expect(result == (valid ? nil : "alerts[0].startsAt: not an RFC 3339 time"))
    }

    @Test func twoMebibytesOfAlertsDecode() throws {
        let count = 10_000
        let padding = String(repeating: "x", count: 80)
        let alerts = (0..<count).map { index in
            WebhookBodies.alert(
                labels: #"{"alertname": "KVMDomainNotRunning", "domain": "vm_\#(index)", "padding": "\#(padding)"}"#,
                fingerprint: "\"fp\(index)\"")
        }
        let body = WebhookBodies.body(alerts: "[" + alerts.joined(separator: ",") + "]")
        #expect(body.utf8.count >= 2 * 1_048_576)
        let message = try decode(body)
        #expect(message.alerts.count == count)
        #expect(message.alerts.last?.labels["domain"] == "vm_\(count - 1)")
    }

    @Test func aHugeLabelValueDecodes() throws {
        let value = String(repeating: "é", count: 1_048_576)
        let message = try decode(
            WebhookBodies.body(alerts: "[\(WebhookBodies.alert(labels: "{\"note\": \"\(value)\"}"))]"))
        #expect(message.alerts.first?.labels["note"]?.count == value.count)
    }

    @Test func deeplyNestedUnknownFieldsFailCleanly() {
        let depth = 100_000
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let result = reason(WebhookBodies.body(extra: "\"deep\": \(nested)"))
        #expect(result == "body is not valid JSON")
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array(WebhookBodies.body().utf8)
        let index = bytes.firstIndex(of: UInt8(ascii: "v"))!
        bytes.insert(contentsOf: [0xC3, 0x28, 0xFF], at: index)
        #expect(throws: WebhookDecodingError.self) { try WebhookMessage.decode(bytes) }
    }
}
