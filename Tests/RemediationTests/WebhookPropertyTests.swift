import Foundation
import KVMCore
import PropertyBased
import TestSupport
import Testing

@testable import Remediation

/// The decoder against arbitrary bytes and damaged notifications: it never crashes, agrees with an
/// independent judgement of validity, and a body it rejects never leads to a decision.
@Suite struct WebhookPropertyTests {
    static let samples = SampleNotifications.all.map { try! JSONValue.parse($0) }

    /// Decodes `body` and hands it to the engine, as the HTTP handler does. Nil when the body is rejected.
    private func deliver(_ body: [UInt8], to harness: EngineHarness) throws -> [ActionRecord]? {
        let message: WebhookMessage
        do {
            message = try WebhookMessage.decode(body)
        } catch is WebhookDecodingError {
            return nil
        }
        return try harness.engine.handle(message, from: EngineHarness.origin)
    }

    private func sampleHarness() throws -> EngineHarness {
        try EngineHarness(
            policy: PolicyText.yaml(limits: ["cooldown": "1s"]),
            domains: [
                TestDomain("vm_centos7", 1), TestDomain("db01", 2, state: .running),
                TestDomain("db02", 3, state: .running),
            ])
    }

    @Test func arbitraryBytesAreRejectedCleanly() async throws {
        let harness = try sampleHarness()
        await checkProperty(count: 1000, input: Gen<UInt8>.value(in: 0...255).array(of: 0...200)) { bytes in
            let decided = harness.telemetry.calls.decided.count
            let records = try deliver(bytes, to: harness)
            #expect((records?.count ?? 0) == harness.telemetry.calls.decided.count - decided)
        }
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    static let tokens = [
        "{", "}", "[", "]", ":", ",", "\"", "\"version\"", "\"4\"", "\"alerts\"", "\"status\"", "\"firing\"",
        "\"labels\"", "\"fingerprint\"", "\"startsAt\"", "\"2026-11-26T11:00:00Z\"", "0", "-1", "1e400", "true",
        "null", " ", "\\u0000", "\\", "\u{1F600}", "\"x\"",
    ]

    @Test func jsonLikeTokenSoupIsRejectedCleanly() async throws {
        let harness = try sampleHarness()
        await checkProperty(count: 1000, input: Gen.element(of: Self.tokens).array(of: 0...40)) { parts in
            let decided = harness.telemetry.calls.decided.count
            let records = try deliver(Array(parts.compactMap { $0 }.joined().utf8), to: harness)
            if records == nil { #expect(harness.telemetry.calls.decided.count == decided) }
        }
    }

    @Test func damagedSamplesDecodeExactlyWhenTheyAreValid() async throws {
        let harness = try sampleHarness()
        await checkProperty(count: 1500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            let document = NotificationMutator.mutate(rng.pick(Self.samples), using: &rng)
            let body = Array(document.render(escapeUnicode: rng.chance(0.3)).utf8)
            let expected = NotificationMutator.expectedAlerts(document)
            let decided = harness.telemetry.calls.decided.count
            let pending = try harness.savedState().pending
            do {
                let message = try WebhookMessage.decode(body)
                let alerts = message.alerts.map {
                    NotificationMutator.ExpectedAlert(
                        status: $0.status.rawValue, labels: $0.labels, startsAt: $0.startsAt,
                        fingerprint: $0.fingerprint)
                }
                #expect(alerts == expected, "\(document.render())")
                let records = try harness.engine.handle(message, from: EngineHarness.origin)
                #expect(records.count == message.alerts.count)
            } catch let error as WebhookDecodingError {
                #expect(expected == nil, "rejected (\(error.reason)) a valid body: \(document.render())")
                #expect(!error.reason.isEmpty)
                #expect(harness.telemetry.calls.decided.count == decided)
                #expect(try harness.savedState().pending == pending)
            }
        }
    }

    @Test func unicodeLabelsSurviveDecoding() async {
        await checkProperty(count: 500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            var labels: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                labels[rng.unicodeString(maxLength: 8)] = rng.unicodeString()
            }
            let alert = JSONValue.object([
                (key: "status", value: .string("firing")),
                (key: "labels", value: .object(labels.map { (key: $0.key, value: .string($0.value)) })),
                (key: "startsAt", value: .string("2026-11-26T11:00:00Z")),
                (key: "fingerprint", value: .string(rng.unicodeString(maxLength: 3) + "f")),
            ])
            let document = JSONValue.object([
                (key: "version", value: .string("4")), (key: "status", value: .string("firing")),
                (key: "alerts", value: .array([alert])),
            ])
            let message = try? WebhookMessage.decode(Array(document.render(escapeUnicode: rng.chance(0.5)).utf8))
            #expect(message?.alerts.first?.labels == labels, "\(document.render())")
        }
    }
}
