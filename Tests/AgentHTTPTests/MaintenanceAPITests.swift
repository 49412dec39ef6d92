import Foundation
import Hummingbird
import HummingbirdTesting
import Remediation
import Testing

@testable import AgentHTTP

/// The maintenance endpoints: per domain and host-wide, authenticated like the other action endpoints, and
/// every bad request answered with a 4xx that changes nothing.
@Suite struct MaintenanceAPITests {
    static let good = #"{"duration_seconds": 3600, "reason": "kernel update"}"#

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]) ?? [:]
    }

    @Test func aDomainInMaintenanceGetsMaintenanceDecisionsUntilEnded() async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let api = ActionAPIFixture.headers(token: ActionAPIFixture.apiToken)
            let set = try await client.execute(
                uri: "/api/v1/domains/vm1/maintenance", method: .post, headers: api, body: ByteBuffer(string: Self.good)
            )
            #expect(set.status == .ok)
            let answer = Self.json(set)
            #expect(answer["scope"] as? String == "domain")
            #expect(answer["domain"] as? String == "vm1")
            #expect(answer["set_by"] as? String == "ops")
            #expect(answer["until"] as? String != nil)
            let manual = try await client.execute(uri: "/api/v1/domains/vm1/shutdown", method: .post, headers: api)
            #expect(manual.status == .conflict)
            #expect(String(buffer: manual.body).contains("domain_maintenance"))

            let ended = try await client.execute(uri: "/api/v1/domains/vm1/maintenance", method: .delete, headers: api)
            #expect(ended.status == .ok)
            let again = try await client.execute(uri: "/api/v1/domains/vm1/maintenance", method: .delete, headers: api)
            #expect(again.status == .conflict)
            #expect(fixture.engine.holds().isEmpty)
        }
    }

    @Test func hostMaintenanceIsSetAndEnded() async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let api = ActionAPIFixture.headers(token: ActionAPIFixture.apiToken)
            let set = try await client.execute(
                uri: "/api/v1/maintenance", method: .post, headers: api, body: ByteBuffer(string: Self.good))
            #expect(set.status == .ok)
            #expect(Self.json(set)["scope"] as? String == "host")
            #expect(fixture.engine.holds().map(\.kind) == [.maintenance])
            #expect(try await client.execute(uri: "/api/v1/maintenance", method: .delete, headers: api).status == .ok)
            #expect(
                try await client.execute(uri: "/api/v1/maintenance", method: .delete, headers: api).status == .conflict)
        }
    }

    static let badBodies = [
        "", "{", "[]", "{}", #"{"reason":"x"}"#, #"{"duration_seconds":60}"#,
        #"{"duration_seconds":0,"reason":"x"}"#, #"{"duration_seconds":-5,"reason":"x"}"#,
        #"{"duration_seconds":1e400,"reason":"x"}"#, #"{"duration_seconds":2592001,"reason":"x"}"#,
        #"{"duration_seconds":"60","reason":"x"}"#, #"{"duration_seconds":60,"reason":""}"#,
        #"{"duration_seconds":60,"reason":"   "}"#, #"{"duration_seconds":60,"reason":"a\u0000b"}"#,
        #"{"duration_seconds":60,"reason":"line\nbreak"}"#,
        "{\"duration_seconds\":60,\"reason\":\"\(String(repeating: "x", count: 201))\"}",
        #"{"duration_seconds":60,"reason":7}"#,
    ]

    @Test(arguments: ["/api/v1/domains/vm1/maintenance", "/api/v1/maintenance"])
    func badRequestsGetTheirStatusAndChangeNothing(path: String) async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let api = ActionAPIFixture.headers(token: ActionAPIFixture.apiToken)
            var cases: [(HTTPFields, String, HTTPResponse.Status)] = Self.badBodies.map { (api, $0, .badRequest) }
            cases.append(([:], Self.good, .unauthorized))
            cases.append(
                (ActionAPIFixture.headers(token: "0" + ActionAPIFixture.apiToken.dropFirst()), Self.good, .unauthorized)
            )
            cases.append((ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken), Self.good, .forbidden))
            cases.append(
                (
                    ActionAPIFixture.headers(token: ActionAPIFixture.apiToken, json: false), Self.good,
                    .unsupportedMediaType
                ))
            cases.append((api, "{\"reason\":\"\(String(repeating: "x", count: 1 << 21))\"}", .contentTooLarge))
            for (headers, body, status) in cases {
                let response = try await client.execute(
                    uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == status, "\(body.prefix(80))")
                #expect(fixture.engine.holds().isEmpty, "\(body.prefix(80))")
            }
            for (headers, status) in [
                ([:] as HTTPFields, HTTPResponse.Status.unauthorized),
                (ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken), .forbidden),
            ] {
                #expect(try await client.execute(uri: path, method: .delete, headers: headers).status == status)
            }
            let audit = (try? String(contentsOfFile: fixture.directory + "/audit.jsonl", encoding: .utf8)) ?? ""
            #expect(audit.isEmpty, "a refused request audits nothing")
        }
    }

    @Test func anUnknownDomainIs404() async throws {
        let fixture = try ActionAPIFixture()
        try await fixture.application().test(.router) { client in
            let api = ActionAPIFixture.headers(token: ActionAPIFixture.apiToken)
            let set = try await client.execute(
                uri: "/api/v1/domains/nope/maintenance", method: .post, headers: api,
                body: ByteBuffer(string: Self.good))
            #expect(set.status == .notFound)
            let end = try await client.execute(uri: "/api/v1/domains/nope/maintenance", method: .delete, headers: api)
            #expect(end.status == .notFound)
            #expect(fixture.engine.holds().isEmpty)
        }
    }
}
