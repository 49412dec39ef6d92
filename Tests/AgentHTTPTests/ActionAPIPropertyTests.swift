import Foundation
import Hummingbird
import HummingbirdTesting
import PropertyBased
import Remediation
import Synchronization
import TestSupport
import Testing

@testable import AgentHTTP

/// The webhook and the manual API against overflowing, negative, NaN, huge and wrong-typed values: never a
/// crash or a 5xx, and a body refused with a 4xx decides and queues nothing.
@Suite struct ActionAPIPropertyTests {
    /// JSON (and not-quite-JSON) values that break naive number and type handling.
    static let hostile = [
        "1e400", "-1e400", "-0", "-1", "0", "1.5", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "123456789012345678901234567890123456789", "1e-400",
        "NaN", "Infinity", "-Infinity", "null", "true", "false", "[]", "{}", "[1,2]", #""""#, #""x""#,
        #""-1""#, #""1e400""#, "\"\(String(repeating: "9", count: 5000))\"",
        "\"\(String(repeating: "\\u0000", count: 100))\"", #""\ud800""#,
    ]

    /// A webhook body with nine slots; a slot takes a hostile value, or its good one past the list's end.
    static func webhook(_ picks: [Int]) -> String {
        let good = [
            #""4""#, #""{}:{}""#, #""firing""#, "0", #""firing""#, #""x""#, #""2026-11-29T07:00:00Z""#,
            #""0001-01-01T00:00:00Z""#, #""f00d""#,
        ]
        let value = { (slot: Int) in picks[slot] < hostile.count ? hostile[picks[slot]] : good[slot] }
        return """
            {"version":\(value(0)),"groupKey":\(value(1)),"status":\(value(2)),"receiver":"kvm",
             "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
             "truncatedAlerts":\(value(3)),
             "alerts":[{"status":\(value(4)),
               "labels":{"alertname":"KVMDomainHung","domain":"vm1","instance":"test-host","extra":\(value(5))},
               "annotations":{},"startsAt":\(value(6)),"endsAt":\(value(7)),"generatorURL":"",
               "fingerprint":\(value(8))}]}
            """
    }

    @Test func hostileWebhookValuesGetA4xxOrADecisionNeverA5xx() async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let slots = Gen<Int>.value(in: 0...(2 * Self.hostile.count)).array(of: 9...9)
            await checkProperty(count: 300, input: slots) { picks in
                let body = Self.webhook(picks)
                let before = fixture.decided
                let queuedBefore = fixture.queued
                let response = try await client.execute(
                    uri: "/api/v1/alertmanager", method: .post,
                    headers: ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken),
                    body: ByteBuffer(string: body))
                #expect(response.status.code < 500, "\(response.status) for \(body)")
                if response.status.code >= 400 {
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(fixture.decided == before, "\(body)")
                    #expect(fixture.queued == queuedBefore, "\(body)")
                }
            }
        }
        #expect(fixture.controller.calls.withLock { $0 }.isEmpty)
    }

    /// Values of `force_after_seconds` the API accepts: numbers from 0 to 86400, or none.
    static let goodForce: Set<String> = ["-0", "0", "1.5", "null"]
    static let goodDryRun: Set<String> = ["null", "true", "false"]

    @Test func hostileManualBodiesAreRefusedWith400AndQueueNothing() async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let index = Gen<Int>.value(in: 0...Self.hostile.count)
            await checkProperty(count: 300, input: zip(index, index)) { force, dryRun in
                // Past the list's end the key is left out.
                var fields: [String] = []
                if force < Self.hostile.count { fields.append(#""force_after_seconds":"# + Self.hostile[force]) }
                if dryRun < Self.hostile.count { fields.append(#""dry_run":"# + Self.hostile[dryRun]) }
                let body = "{" + fields.joined(separator: ",") + "}"
                let valid =
                    (force == Self.hostile.count || Self.goodForce.contains(Self.hostile[force]))
                    && (dryRun == Self.hostile.count || Self.goodDryRun.contains(Self.hostile[dryRun]))
                // 1e-400 may read as 0 or be refused: either is right, so it is judged only for a 5xx.
                let unsure = force < Self.hostile.count && Self.hostile[force] == "1e-400"
                let before = fixture.decided
                let queuedBefore = fixture.queued
                let response = try await client.execute(
                    uri: "/api/v1/domains/vm1/shutdown", method: .post,
                    headers: ActionAPIFixture.headers(token: ActionAPIFixture.apiToken), body: ByteBuffer(string: body))
                #expect(response.status.code < 500, "\(response.status) for \(body)")
                if !valid && !unsure {
                    #expect(response.status == .badRequest, "\(body)")
                }
                if response.status == .badRequest {
                    #expect(fixture.decided == before, "\(body)")
                    #expect(fixture.queued == queuedBefore, "\(body)")
                } else if !unsure {
                    #expect(valid, "\(response.status) for \(body)")
                    #expect(fixture.decided == before + 1, "\(body)")
                }
            }
        }
        #expect(fixture.controller.calls.withLock { $0 }.isEmpty)
    }

    /// Wrong JSON types and shapes for the whole body.
    @Test(arguments: hostile.filter { $0 != "{}" } + ["", "{", #"{"force_after_seconds":60"#, "{}{}"])
    func aManualBodyThatIsNotAnObjectIsRefused(body: String) async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/domains/vm1/shutdown", method: .post,
                headers: ActionAPIFixture.headers(token: ActionAPIFixture.apiToken), body: ByteBuffer(string: body))
            // An empty body is an empty option set.
            #expect(response.status == (body.isEmpty ? .accepted : .badRequest), "\(body)")
            #expect(fixture.decided == (body.isEmpty ? 1 : 0))
        }
    }

    /// The action list names domains, UUIDs, fingerprints and principals: it needs the api scope.
    @Test(arguments: ["/api/v1/actions", "/api/v1/actions?limit=9223372036854775808", "/api/v1/actions/1"])
    func theActionListNeedsTheAPIScope(uri: String) async throws {
        let fixture = try ActionAPIFixture()
        _ = try fixture.engine.request(.shutdown, domain: "vm1", options: .init(), from: .api("ops"))
        try await fixture.application().test(.router) { client in
            let webhook = try await client.execute(
                uri: uri, method: .get, headers: ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken))
            #expect(webhook.status == .forbidden)
            #expect(!String(buffer: webhook.body).contains("vm1"))
            let api = try await client.execute(
                uri: uri, method: .get, headers: ActionAPIFixture.headers(token: ActionAPIFixture.apiToken))
            #expect(api.status == .ok)
            #expect(String(buffer: api.body).contains("vm1"))
        }
    }

    /// An unwritable audit log answers 503 with the reason, and nothing is decided.
    @Test func anUnwritableAuditLogAnswers503() async throws {
        let fixture = try ActionAPIFixture()
        let audit = URL(fileURLWithPath: fixture.directory).appendingPathComponent("audit.jsonl").path
        try? FileManager.default.removeItem(atPath: audit)
        try FileManager.default.createDirectory(atPath: audit, withIntermediateDirectories: false)
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/domains/vm1/shutdown", method: .post,
                headers: ActionAPIFixture.headers(token: ActionAPIFixture.apiToken, json: false))
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("audit log"))
            let webhook = try await client.execute(
                uri: "/api/v1/alertmanager", method: .post,
                headers: ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken),
                body: ByteBuffer(string: Self.webhook(Array(repeating: Self.hostile.count, count: 9))))
            #expect(webhook.status == .serviceUnavailable)
        }
        #expect(fixture.decided == 0)
    }
}
