import Foundation
import HTTPTypes
import Testing

/// Two Alertmanagers in a cluster (`--cluster.peer`), both alerted by Prometheus and both routing to one
/// agent. Alertmanager HA is at-least-once: the agent acts once per firing and answers every other copy
/// `duplicate`, also after the first Alertmanager is killed right after the agent's first delivery, and
/// after the agent itself is killed and restarted between two deliveries of the same alert (its dedupe is
/// in the state file).
@Suite struct AlertmanagerClusterTests {
    @Test(.enabled(if: AlertingStack.available))
    func aClusterOfTwoActsOncePerFiringAlsoWhenOneDies() async throws {
        let port = try AgentProcess.freePort()
        let rules = """
              - name: start-cluster-domain
                alertname: ClusterDomainShutOff
                action: start
            """
        let fixture = try RemediationFixture(domains: ["backup01"], rules: rules, hostNames: ["127.0.0.1:\(port)"])
        defer { fixture.remove() }
        let directory = fixture.directory
        let tokenFile = directory.appending(path: "am.token").path
        try RemediationFixture.webhookToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let ruleFile = directory.appending(path: "cluster.rules.yml").path
        try """
        groups:
          - name: cluster
            rules:
              - alert: ClusterDomainShutOff
                expr: kvm_domain_state{state="shutoff",domain="backup01"} == 1
                # The same firing (same startsAt) across the agent's restart, when its series go stale.
                keep_firing_for: 5m
        """.write(toFile: ruleFile, atomically: true, encoding: .utf8)
        let alertmanagerConfig = """
            route:
              receiver: agent
              group_by: [instance, domain, alertname]
              group_wait: 1s
              group_interval: 2s
              # Every few seconds the surviving Alertmanager sends the same firing alert again.
              repeat_interval: 3s
            receivers:
              - name: agent
                webhook_configs:
                  - url: http://127.0.0.1:\(port)/api/v1/alertmanager
                    send_resolved: true
                    http_config: {authorization: {credentials_file: \(tokenFile)}}
            """
        let stack = try AlertingStack(
            ruleFiles: [ruleFile],
            scrapeConfigs: """
                  - job_name: kvm
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """,
            alertmanagerConfig: alertmanagerConfig, directory: directory, clustered: 2)
        defer { stack.stop() }
        var agent = try AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, port: port)
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: "backup01")

        // The two know each other before the alert fires (it needs a scrape and an evaluation first).
        for (index, amPort) in stack.alertmanagerPorts.enumerated() {
            let clustered = try await stack.alertmanagers[index].wait(for: "two peers", within: .seconds(30)) {
                let status = try curl(["http://127.0.0.1:\(amPort)/api/v2/status"]).json
                return ((status["cluster"] as? [String: Any])?["peers"] as? [Any])?.count == 2
            }
            #expect(clustered, "alertmanager \(index) is not in a cluster of two")
        }

        func deliveries(_ agent: AgentProcess) throws -> [[String: Any]] {
            try agent.actions().filter {
                $0["domain"] as? String == "backup01" && $0["source"] as? String == "alertmanager"
            }
        }
        func reason(_ record: [String: Any]) -> String? { (record["decision"] as? [String: Any])?["reason"] as? String }

        let first = try await agent.daemon.wait(for: "the first delivery", within: .seconds(60)) {
            try !deliveries(agent).isEmpty
        }
        try #require(first)
        // Killed right after one of them delivered, possibly before it told its peer.
        stack.alertmanagers[0].stop()

        let started = try await agent.daemon.wait(for: "the start", within: .seconds(60)) {
            try agent.decision("rule_matched", domain: "backup01")?["result"] as? String == "success"
        }
        #expect(started)
        let repeated = try await agent.daemon.wait(for: "a repeat from the survivor", within: .seconds(30)) {
            try deliveries(agent).contains { reason($0) == "duplicate" }
        }
        #expect(repeated)
        let before = try deliveries(agent).compactMap(reason)
        #expect(before.filter { $0 == "rule_matched" }.count == 1, "\(before)")
        #expect(before.allSatisfy { ["rule_matched", "duplicate"].contains($0) }, "\(before)")

        // Killed between two deliveries. The test driver's host starts over with backup01 shut off again, and
        // the same alert keeps arriving: the restarted agent must not start it a second time.
        agent.kill()
        agent = try AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, port: port)
        try await agent.waitUntilReady(domain: "backup01")
        let deduped = try await agent.daemon.wait(for: "a delivery after the restart", within: .seconds(30)) {
            try deliveries(agent).contains { reason($0) == "duplicate" }
        }
        #expect(deduped, "the restarted agent saw no copy of the alert")
        let after = try deliveries(agent).compactMap(reason)
        #expect(!after.contains("rule_matched"), "acted again after the restart: \(after)")
        #expect(try agent.actions().allSatisfy { $0["result"] == nil }, "an action ran after the restart")
        print("kvm-agent cluster: deliveries before the restart \(before), after \(after)")
    }
}
