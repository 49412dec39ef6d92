import Foundation
import HTTPTypes
import HummingbirdTesting
import Libvirt
import Testing

/// A real guest crash: the panicking guest reports a panic through pvpanic at every boot and is kept crashed
/// but active (`on_crash` preserve), which libvirt refuses to start. An extension of `RealLibvirtdTests`, so it
/// runs serialized with the test that restarts libvirtd.
extension RealLibvirtdTests {
    /// Left alone without `recover_crashed`; destroyed then started with it, each step confirmed by its event;
    /// and, as the guest panics again at every boot, left alone once its restart budget is spent.
    @Test func aPanickedGuestIsRecoveredUntilItsRestartBudgetIsSpent() async throws {
        let guest = try Guest(.panicking, purpose: "rempanic")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        let fixture = try RemediationFixture(
            domains: [guest.name], rules: CrashRecoveryDriverTests.rules, limits: "  max_restarts: 2\n  stable_for: 1h")
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let name = guest.name
            func crashes(_ scrape: Scrape) -> Double {
                scrape.value("kvm_domain_lifecycle_events_total", ["domain": name, "event": "crashed"]) ?? 0
            }
            func crashed(after count: Double) async throws -> Bool {
                try await client.scrape(
                    until: {
                        $0.knownState(of: name) == "crashed"
                            && $0.value("kvm_domain_state_reason_info", ["domain": name, "reason": "panicked"]) == 1
                            && crashes($0) >= count
                    }, within: .seconds(60)
                ).1
            }
            func alert(_ name: String) async throws -> APIAnswer {
                try await client.post(
                    "/api/v1/alertmanager", json: RemediationFixture.notification(alert: name, domain: guest.name))
            }
            // The first panic may come before the agent's callback is registered: its state, not its event.
            let (_, listed) = try await client.scrape(
                until: { $0.knownState(of: name) == "crashed" }, within: .seconds(60))
            try #require(listed, "the guest never crashed")

            let plain = try await alert("KVMDomainNotRunning")
            #expect(plain.reason == "crashed_left_alone", "\(plain.text)")

            for attempt in 1...2 {
                let outcome = try await client.remediate("KVMDomainCrashed", domain: name, within: .seconds(60))
                #expect(outcome["result"] as? String == "success", "attempt \(attempt): \(outcome)")
                #expect(outcome["state_before"] as? String == "crashed")
                let steps = (outcome["steps"] as? [[String: Any]]) ?? []
                #expect(steps.compactMap { $0["name"] as? String } == ["destroy", "start"], "\(outcome)")
                // Started, it panics again at once: crashed, by event this time.
                #expect(try await crashed(after: Double(attempt)), "attempt \(attempt): no new panic")
            }

            let spent = try await alert("KVMDomainCrashed")
            #expect(spent.reason == "restart_budget_spent", "\(spent.text)")
            let scrape = try await client.scrape()
            #expect(scrape.value("kvm_agent_remediation_restart_budget_spent_domains") == 1)
            #expect(
                scrape.value(
                    "kvm_domain_lifecycle_events_total", ["domain": name, "event": "stopped", "detail": "destroyed"])
                    == 2)
            let steps = try fixture.auditRecords().filter { $0["event"] as? String == "step" }
            #expect(steps.compactMap { $0["step"] as? String } == ["destroy", "start", "destroy", "start"])
        }
    }
}
