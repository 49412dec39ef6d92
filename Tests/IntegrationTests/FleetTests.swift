import Foundation
import HTTPTypes
import Testing

/// Three agents on loopback, each with its own test-driver host, one Prometheus discovering them from a
/// file, one Alertmanager routing per host, with every route also sent to a neighbour (a misroute):
/// only the agent that owns the domain acts, the others answer "not this host".
@Suite struct FleetTests {
    @Test(.enabled(if: AlertingStack.available))
    func onlyTheOwningAgentActs() async throws {
        let ports = try (0..<3).map { _ in try AgentProcess.freePort() }
        let rules = """
              - name: start-fleet-domain
                alertname: FleetDomainShutOff
                action: start
            """
        let fixtures = try ports.map {
            try RemediationFixture(domains: ["backup01"], rules: rules, hostNames: ["127.0.0.1:\($0)"])
        }
        defer { fixtures.forEach { $0.remove() } }
        let directory = fixtures[0].directory
        let tokenFile = directory.appending(path: "am.token").path
        try RemediationFixture.webhookToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        // The fleet's own alert: the shipped KVMDomainNotRunning needs autostart, which the test driver
        // cannot set from its XML.
        let ruleFile = directory.appending(path: "fleet.rules.yml").path
        try """
        groups:
          - name: fleet
            rules:
              - alert: FleetDomainShutOff
                expr: kvm_domain_state{state="shutoff",domain="backup01"} == 1
        """.write(toFile: ruleFile, atomically: true, encoding: .utf8)
        let targets = directory.appending(path: "targets.json").path
        try #"[{"targets": [\#(ports.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ","))], "labels": {}}]"#
            .write(toFile: targets, atomically: true, encoding: .utf8)
        func webhook(_ port: Int) -> String {
            """
                  - url: http://127.0.0.1:\(port)/api/v1/alertmanager
                    send_resolved: true
                    http_config: {authorization: {credentials_file: \(tokenFile)}}
            """
        }
        let routes = ports.enumerated().map { index, port in
            """
                - matchers: ['instance="127.0.0.1:\(port)"']
                  receiver: host\(index)
            """
        }
        let receivers = ports.enumerated().map { index, port in
            "  - name: host\(index)\n    webhook_configs:\n\(webhook(port))\n\(webhook(ports[(index + 1) % 3]))"
        }
        let alertmanagerConfig = """
            route:
              receiver: "null"
              group_by: [instance, domain, alertname]
              group_wait: 1s
              group_interval: 2s
              repeat_interval: 1h
              routes:
            \(routes.joined(separator: "\n"))
            receivers:
              - name: "null"
            \(receivers.joined(separator: "\n"))
            """
        let stack = try AlertingStack(
            ruleFiles: [ruleFile],
            scrapeConfigs: """
                  - job_name: kvm
                    file_sd_configs: [{files: ["\(targets)"], refresh_interval: 1s}]
                """,
            alertmanagerConfig: alertmanagerConfig, directory: directory)
        defer { stack.stop() }
        var agents: [AgentProcess] = []
        defer { agents.forEach { $0.kill() } }
        for (port, fixture) in zip(ports, fixtures) {
            agents.append(try await AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, port: port))
        }
        for agent in agents { try await agent.waitUntilReady(domain: "backup01") }

        let started = ContinuousClock.now
        for (index, agent) in agents.enumerated() {
            let acted = try await agent.daemon.wait(for: "its own start", within: .seconds(60)) {
                (try agent.decision("rule_matched", domain: "backup01"))?["result"] as? String == "success"
            }
            #expect(acted, "agent \(index) did not start its own backup01")
            // Its neighbour's alert reached it too, and was skipped.
            let skipped = try await agent.daemon.wait(for: "a neighbour's alert", within: .seconds(30)) {
                try agent.actions().contains {
                    ($0["decision"] as? [String: Any])?["reason"] as? String == "not_this_host"
                }
            }
            #expect(skipped, "agent \(index) never saw another host's alert")
            let starts = try agent.actions().filter { $0["result"] as? String != nil }
            #expect(starts.count == 1, "agent \(index) acted \(starts.count) times")
        }
        print("kvm-agent fleet: all three domains started \(ContinuousClock.now - started) after the agents were up")
    }
}
