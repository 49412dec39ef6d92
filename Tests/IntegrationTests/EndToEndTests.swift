import Foundation
import HTTPTypes
import Libvirt
import Testing

/// The whole loop with real components on loopback: libvirtd with a real guest, the agent binary,
/// Prometheus with the shipped rules, Alertmanager with the shipped receiver. Part of the serialized
/// real-libvirtd suite.
extension RealLibvirtdTests {
    /// The shipped rules with `keep_firing_for` in seconds instead of minutes, so the alert resolves
    /// soon after the guest runs again, yet still rides out the failed scrapes of the agent's restart.
    static func shippedRules(in directory: URL) throws -> String {
        let rules = try String(
            contentsOf: Repo.root.appending(path: "deploy/prometheus/rules/kvm-agent.rules.yml"), encoding: .utf8)
        try #require(rules.contains("keep_firing_for: 2m"), "the shipped rules no longer keep firing for 2m")
        let path = directory.appending(path: "kvm-agent.rules.yml").path
        try rules.replacingOccurrences(of: "keep_firing_for: 2m", with: "keep_firing_for: 15s")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The shipped Alertmanager configuration pointed at this agent, with seconds instead of minutes.
    static func shippedAlertmanagerConfig(agentPort: Int, tokenFile: String) throws -> String {
        var config = try String(
            contentsOf: Repo.root.appending(path: "deploy/alertmanager/kvm-agent.yml"), encoding: .utf8)
        let replacements = [
            ("http://kvm01.example.net:9760", "http://127.0.0.1:\(agentPort)"),
            ("/etc/alertmanager/kvm-agent.token", tokenFile),
            (#"instance=~"kvm01([.:].*)?""#, #"instance="127.0.0.1:\#(agentPort)""#),
            ("group_wait: 10s", "group_wait: 1s"), ("group_interval: 1m", "group_interval: 2s"),
            ("repeat_interval: 1h", "repeat_interval: 4s"),
        ]
        for (old, new) in replacements {
            try #require(config.contains(old), "the shipped Alertmanager configuration no longer has \(old)")
            config = config.replacingOccurrences(of: old, with: new)
        }
        return config
    }

    /// Destroy an autostart guest: the alert fires, Alertmanager calls the agent, and the agent decides
    /// dry run, then (restarted with the domain quarantined) quarantined, then (released) starts it; the
    /// alert resolves. Prints the latency of each stage.
    @Test(.enabled(if: AlertingStack.available))
    func alertToRemediationLoopWithPrometheusAndAlertmanager() async throws {
        let guest = try Guest(.halted, purpose: "e2e")
        defer { guest.remove() }
        let domain = try guest.define(on: try RealLibvirtd.connect())
        try domain.setAutostart(true)
        try await offPool { try domain.create() }
        let port = try AgentProcess.freePort()
        let rules = """
              - name: restart-autostart-domains
                alertname: KVMDomainNotRunning
                matchers: ['severity="critical"']
                action: start
            """
        let rehearsal = try RemediationFixture(
            domains: [guest.name], rules: rules, dryRun: true, hostNames: ["127.0.0.1:\(port)"])
        let live = try RemediationFixture(domains: [guest.name], rules: rules, hostNames: ["127.0.0.1:\(port)"])
        defer {
            rehearsal.remove()
            live.remove()
        }
        let tokenFile = live.directory.appending(path: "am.token").path
        try RemediationFixture.webhookToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let stack = try AlertingStack(
            ruleFiles: [try Self.shippedRules(in: live.directory)],
            scrapeConfigs: """
                  - job_name: kvm
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """,
            alertmanagerConfig: try Self.shippedAlertmanagerConfig(agentPort: port, tokenFile: tokenFile),
            directory: live.directory)
        defer { stack.stop() }

        var agent = try await AgentProcess(policy: rehearsal.policyPath, port: port)
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: guest.name)
        let name = guest.name
        // Prometheus has scraped the agent once the guest shows as running there.
        #expect(
            try await stack.prometheus.wait(for: "first scrape", within: .seconds(30)) {
                let query = try curl([
                    "--data-urlencode", #"query=kvm_domain_state{state="running",domain="\#(name)"}"#,
                    "http://127.0.0.1:\(stack.prometheusPort)/api/v1/query",
                ])
                return query.text.contains(#""1"]"#)
            })

        let destroyed = ContinuousClock.now
        var stages: [(String, Duration)] = []
        func stage(_ what: String, on daemon: Daemon, within: Duration, _ condition: () throws -> Bool) async throws {
            let seen = try await daemon.wait(for: what, within: within, condition)
            try #require(seen)
            stages.append((what, ContinuousClock.now - destroyed))
        }
        try await offPool { try domain.destroy() }
        try await stage("state on /metrics", on: agent.daemon, within: .seconds(5)) {
            Scrape(try agent.curl(["\(agent.base)/metrics"]).text).state(of: name) == "shutoff"
        }
        try await stage("alert pending", on: stack.prometheus, within: .seconds(30)) {
            try stack.alertState("KVMDomainNotRunning", domain: name) != nil
        }
        try await stage("alert firing", on: stack.prometheus, within: .seconds(90)) {
            try stack.alertState("KVMDomainNotRunning", domain: name) == "firing"
        }
        try await stage("dry-run decision", on: stack.alertmanager, within: .seconds(30)) {
            try agent.decision("rule_matched", domain: name) != nil
        }
        let rehearsed = try #require(try agent.decision("rule_matched", domain: name))
        #expect((rehearsed["decision"] as? [String: Any])?["kind"] as? String == "dry_run")
        #expect(try RealLibvirtd.connect().domain(name: name).state().state == 5, "dry run started the guest")

        // The same port, the live policy, and the domain quarantined in its state file. The scrapes
        // that fail meanwhile must not resolve the alert (keep_firing_for), or it would be a minute
        // before Alertmanager calls again.
        agent.kill()
        try FileManager.default.createDirectory(
            at: live.directory.appending(path: "state"), withIntermediateDirectories: true)
        let uuid = try RealLibvirtd.connect().domain(name: name).uuid
        try """
        {"version":1,"nextActionNumber":1,"seen":{},"pending":{},
         "domains":{"\(uuid.lowercased())":{"name":"\(name)","actionTimes":[],"quarantinedAt":\(Date().timeIntervalSince1970)}}}
        """.write(toFile: live.statePath, atomically: true, encoding: .utf8)
        agent = try await AgentProcess(policy: live.policyPath, port: port)
        try await agent.waitUntilReady(domain: name)
        try await stage("quarantined decision", on: stack.alertmanager, within: .seconds(30)) {
            try agent.decision("quarantined", domain: name) != nil
        }
        #expect(try RealLibvirtd.connect().domain(name: name).state().state == 5, "a quarantined guest was started")

        let released = try agent.post(
            "/api/v1/domains/\(name)/release", "", token: RemediationFixture.apiToken)
        #expect(released.json["released"] as? Bool == true, "\(released.text)")
        try await stage("start queued", on: stack.alertmanager, within: .seconds(30)) {
            try agent.decision("rule_matched", domain: name) != nil
        }
        try await stage("guest running", on: agent.daemon, within: .seconds(60)) {
            try RealLibvirtd.connect().domain(name: name).state().state == 1
        }
        try await stage("alert resolved", on: stack.prometheus, within: .seconds(45)) {
            try stack.alertState("KVMDomainNotRunning", domain: name) == nil
        }
        try await stage("resolved notification", on: stack.alertmanager, within: .seconds(30)) {
            try agent.decision("resolved_nothing_queued", domain: name) != nil
                || agent.decision("resolved_action_in_flight", domain: name) != nil
        }
        for (what, after) in stages { print("kvm-agent e2e: \(what) after \(after)") }
        let outcome = try #require(try agent.decision("rule_matched", domain: name))
        #expect(outcome["result"] as? String == "success", "\(outcome)")
    }
}
