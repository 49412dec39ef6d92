import Foundation
import Hummingbird
import HummingbirdTesting
import KVMCore
import Testing

@testable import AgentHTTP
@testable import Remediation

/// `release` lifts a spent restart budget, authenticated like every action endpoint; the status page lists
/// the domains left alone.
@Suite struct RestartBudgetAPITests {
    static func spent() -> SafetyState {
        var state = SafetyState()
        var history = SafetyState.DomainHistory(name: "vm1")
        history.restarts = 3
        history.lastRestartAt = Date().timeIntervalSince1970 - 60
        history.budgetSpentAt = Date().timeIntervalSince1970 - 30
        state.domains[ActionAPIFixture.vm.uuid] = history
        return state
    }

    @Test func releaseLiftsASpentBudgetOnlyForAnAPIToken() async throws {
        let fixture = try ActionAPIFixture(state: Self.spent())
        #expect(fixture.engine.holds().map(\.kind) == [.restartBudgetSpent])
        try await fixture.application().test(.router) { client in
            let path = "/api/v1/domains/vm1/release"
            for (headers, status) in [
                ([:] as HTTPFields, HTTPResponse.Status.unauthorized),
                (ActionAPIFixture.headers(token: ActionAPIFixture.webhookToken), .forbidden),
            ] {
                #expect(try await client.execute(uri: path, method: .post, headers: headers).status == status)
                #expect(fixture.engine.holds().count == 1, "refused: nothing changes")
            }
            let api = ActionAPIFixture.headers(token: ActionAPIFixture.apiToken)
            let unknown = try await client.execute(uri: "/api/v1/domains/nope/release", method: .post, headers: api)
            #expect(unknown.status == .notFound)
            let released = try await client.execute(uri: path, method: .post, headers: api)
            #expect(released.status == .ok)
            #expect(String(buffer: released.body).contains("\"released\":true"))
            #expect(fixture.engine.holds().isEmpty)
            let again = try await client.execute(uri: path, method: .post, headers: api)
            #expect(String(buffer: again.body).contains("\"released\":false"))
        }
        let audit = try String(contentsOfFile: fixture.directory + "/audit.jsonl", encoding: .utf8)
        #expect(audit.contains("restart budget restored"))
        #expect(audit.contains("\"principal\":\"ops\""))
    }

    @Test func aHeldDomainIsListedOnTheStatusPageEscaped() {
        let holds = [
            RemediationHold(domain: "<vm1>", uuid: nil, kind: .restartBudgetSpent, since: 940),
            RemediationHold(
                domain: "db01", uuid: nil, kind: .maintenance, since: 900, until: 4600, by: "ops", reason: "kernel <5>"),
        ]
        let page = StatusPage(version: "t", telemetryPath: "/metrics").render(
            Inventory(), actions: [], holds: holds, now: 1000)
        #expect(page.contains("<td>&lt;vm1&gt;</td><td>restart_budget_spent</td><td>60 s ago</td>"))
        #expect(page.contains("released through the API"))
        #expect(page.contains("<td>ops</td><td>kernel &lt;5&gt;</td>"))
        #expect(page.contains("in 60 min"))
        #expect(
            !StatusPage(version: "t", telemetryPath: "/metrics").render(Inventory(), actions: [], now: 1000)
                .contains("Left alone"))
    }
}
