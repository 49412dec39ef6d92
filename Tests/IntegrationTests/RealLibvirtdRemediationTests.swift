import Foundation
import HTTPTypes
import HummingbirdTesting
import Libvirt
import Testing

/// Remediation on a real libvirtd with real qemu guests. An extension of `RealLibvirtdTests` so that it
/// runs serialized with the test that restarts libvirtd.
extension RealLibvirtdTests {
    static func rules(force: Bool, shutdownTimeout: String) -> String {
        """
          - name: start-not-running
            alertname: KVMDomainNotRunning
            action: start
          - name: graceful-shutdown
            alertname: KVMDomainHung
            action: shutdown
            shutdown_timeout: \(shutdownTimeout)
          - name: shutdown-then-force
            alertname: KVMDomainWedged
            action: shutdown
            shutdown_timeout: \(shutdownTimeout)
            force_after_timeout: \(force)
        """
    }

    @Test func webhookStartsAShutOffGuestOnceConfirmedByTheEvent() async throws {
        let guest = try Guest(.halted, purpose: "remstart")
        defer { guest.remove() }
        try guest.define(on: try RealLibvirtd.connect())
        let fixture = try RemediationFixture(
            domains: [guest.name], rules: Self.rules(force: false, shutdownTimeout: "30s"))
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let (_, listed) = try await client.scrape(until: { $0.knownState(of: guest.name) == "shutoff" })
            try #require(listed)
            let payload = RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: guest.name)
            let posted = ContinuousClock.now
            let answer = try await client.post("/api/v1/alertmanager", json: payload)
            let answeredIn = ContinuousClock.now - posted
            #expect(answer.status == .ok)
            #expect(answer.kind == "queued", "\(answer.text)")
            #expect(answeredIn < .seconds(1))
            // Alertmanager's retry arrives while the action runs: no second start.
            #expect(try await client.post("/api/v1/alertmanager", json: payload).reason == "duplicate")
            let outcome = try await client.actionOutcome(try #require(answer.actionID), within: .seconds(60))
            #expect(outcome["result"] as? String == "success", "\(outcome)")
            #expect(outcome["state_after"] as? String == "running")
            print(
                "kvm-agent: webhook answered in \(answeredIn); start confirmed after \(outcome["duration_seconds"] ?? "?") s"
            )
            #expect(try await client.post("/api/v1/alertmanager", json: payload).reason == "duplicate")
            let scrape = try await client.scrape()
            #expect(scrape.state(of: guest.name) == "running")
            #expect(
                scrape.value(
                    "kvm_domain_lifecycle_events_total", ["domain": guest.name, "event": "started", "detail": "booted"])
                    == 1)
            let outcomes = try fixture.auditRecords().filter { $0["event"] as? String == "outcome" }
            #expect(outcomes.count == 1)
            #expect(outcomes.first?["domain_uuid"] as? String != nil)
        }
    }

    @Test func gracefulShutdownOfTheLinuxGuestOverACPI() async throws {
        let guest = try Guest(.linux, purpose: "remacpi")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        try #require(try await guest.waitUntilBooted(), "guest never printed its ready line")
        let fixture = try RemediationFixture(
            domains: [guest.name], rules: Self.rules(force: false, shutdownTimeout: "60s"))
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let (_, listed) = try await client.scrape(until: { $0.knownState(of: guest.name) == "running" })
            try #require(listed)
            let outcome = try await client.remediate("KVMDomainHung", domain: guest.name, within: .seconds(90))
            #expect(outcome["result"] as? String == "success", "\(outcome)")
            #expect(outcome["state_before"] as? String == "running")
            #expect(outcome["state_after"] as? String == "shutoff")
            let scrape = try await client.scrape()
            #expect(
                scrape.value(
                    "kvm_domain_lifecycle_events_total",
                    ["domain": guest.name, "event": "stopped", "detail": "shutdown"]) == 1)
            #expect(
                scrape.value("kvm_agent_remediation_actions_total", ["action": "shutdown", "result": "success"]) == 1)
        }
    }

    /// The halted guest ignores ACPI: without force the action times out and the guest keeps running;
    /// with force it is powered off.
    @Test func ignoredShutdownTimesOutAndIsForcedOnlyWhereAllowed() async throws {
        let guest = try Guest(.halted, purpose: "remforce")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        let fixture = try RemediationFixture(
            domains: [guest.name], rules: Self.rules(force: true, shutdownTimeout: "3s"))
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let (_, listed) = try await client.scrape(until: { $0.knownState(of: guest.name) == "running" })
            try #require(listed)
            let graceful = try await client.post(
                "/api/v1/alertmanager",
                json: RemediationFixture.notification(alert: "KVMDomainHung", domain: guest.name))
            let timedOut = try await client.actionOutcome(try #require(graceful.actionID), within: .seconds(60))
            #expect(timedOut["result"] as? String == "timeout", "\(timedOut)")
            #expect(timedOut["state_after"] as? String == "running")
            #expect(try await client.scrape().state(of: guest.name) == "running")

            let forcing = try await client.post(
                "/api/v1/alertmanager",
                json: RemediationFixture.notification(alert: "KVMDomainWedged", domain: guest.name))
            let forced = try await client.actionOutcome(try #require(forcing.actionID), within: .seconds(60))
            #expect(forced["result"] as? String == "forced", "\(forced)")
            #expect(forced["state_after"] as? String == "shutoff")
            // The counters follow the action's record: wait for them rather than read them at once.
            let (scrape, counted) = try await client.scrape(until: { scrape in
                scrape.value("kvm_agent_remediation_actions_total", ["action": "shutdown", "result": "forced"]) == 1
                    && scrape.value(
                        "kvm_domain_lifecycle_events_total",
                        ["domain": guest.name, "event": "stopped", "detail": "destroyed"]) == 1
            })
            #expect(counted, "forced action or destroyed event not counted")
            #expect(
                scrape.value("kvm_agent_remediation_actions_total", ["action": "shutdown", "result": "timeout"]) == 1)
        }
    }

    /// The agent is killed with SIGKILL while an action waits for its outcome. After a restart the audit log
    /// and state file parse, the action is reported interrupted, and the same notification does not act again.
    @Test func agentKilledDuringAnActionDoesNotRepeatIt() async throws {
        let guest = try Guest(.halted, purpose: "remkill")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        let fixture = try RemediationFixture(
            domains: [guest.name], rules: Self.rules(force: false, shutdownTimeout: "120s"))
        defer { fixture.remove() }
        let payload = RemediationFixture.notification(alert: "KVMDomainHung", domain: guest.name)

        var agent = try await AgentProcess(policy: fixture.policyPath)
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: guest.name)
        let answer = try agent.post("/api/v1/alertmanager", payload)
        let id = try #require(answer.actionID, "\(answer.text)")
        let running = try await agent.waitForAction(id, status: "running")
        #expect(running, "the action never started")
        agent.kill()

        agent = try await AgentProcess(policy: fixture.policyPath)
        try await agent.waitUntilReady(domain: guest.name)
        let record = try agent.get("/api/v1/actions/\(id)").json
        #expect(record["status"] as? String == "interrupted", "\(record)")
        #expect(try agent.post("/api/v1/alertmanager", payload).reason == "duplicate")
        let state = try Data(contentsOf: URL(filePath: fixture.statePath))
        #expect(try JSONSerialization.jsonObject(with: state) is [String: Any])
        let audit = try fixture.auditRecords()
        #expect(audit.contains { $0["action_id"] as? String == id && $0["result"] as? String == "interrupted" })
        // One shutdown request was sent, before the kill; the halted guest ignores it and still runs.
        #expect(try RealLibvirtd.connect().domain(name: guest.name).state().state == 1)
    }
}
