import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Maintenance through the whole agent on the test driver: the decisions, the metrics that say who set it
/// and until when (clean for promtool), the status page, and the series going when it ends.
@Suite struct MaintenanceAgentTests {
    @Test func maintenanceShowsInDecisionsMetricsAndTheStatusPage() async throws {
        try await ActionAPITests.withActionAgent { client, _ in
            let body = #"{"duration_seconds": 3600, "reason": "disk <swap>"}"#
            let set = try await client.post(
                "/api/v1/domains/web01/maintenance", json: body, token: RemediationFixture.apiToken)
            #expect(set.status == .ok, "\(set.text)")
            let host = try await client.post("/api/v1/maintenance", json: body, token: RemediationFixture.apiToken)
            #expect(host.status == .ok, "\(host.text)")

            let decided = try await client.post(
                "/api/v1/alertmanager",
                json: RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "backup01"))
            #expect(decided.kind == "maintenance", "\(decided.text)")
            #expect(decided.reason == "host_maintenance")

            var scrape = try await client.scrape()
            let until = "kvm_agent_remediation_maintenance_until_timestamp_seconds"
            #expect(scrape.value(until, ["scope": "domain", "domain": "web01", "set_by": "operator"]) != nil)
            #expect(scrape.value(until, ["scope": "host", "domain": "", "set_by": "operator"]) != nil)
            #expect(scrape.value("kvm_agent_remediation_maintenance_domains") == 1)
            #expect(try promtoolProblems(scrape.text) == "")
            let page = try await client.get("/", token: nil)
            #expect(page.text.contains("Left alone"))
            #expect(page.text.contains("disk &lt;swap&gt;"))

            let ended = try await client.execute(
                uri: "/api/v1/domains/web01/maintenance", method: .delete,
                headers: [.authorization: "Bearer \(RemediationFixture.apiToken)"]
            ) { $0.status }
            #expect(ended == .ok)
            scrape = try await client.scrape()
            #expect(scrape.value(until, ["scope": "domain", "domain": "web01", "set_by": "operator"]) == nil)
            #expect(scrape.value("kvm_agent_remediation_maintenance_domains") == 0)
        }
    }
}
