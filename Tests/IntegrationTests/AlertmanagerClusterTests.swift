import Foundation
import HTTPTypes
import Testing

/// Two Alertmanagers clustered (`--cluster.peer`), both told by Prometheus and both delivering to the agent,
/// as operators run them for availability. Alertmanager's own deduplication is best effort (the second peer
/// waits `--cluster.peer-timeout`, then sends unless gossip told it the first one did): the agent must act
/// once per alert whatever reaches it.
@Suite(.enabled(if: AlertingStack.available && which("python3") != nil))
struct AlertmanagerClusterTests {
    static let peerTimeout = 4

    /// The agent on the demo host, a rule that starts backup01, two clustered Alertmanagers each delivering
    /// through a `HoldingProxy`, and a Prometheus whose alert for backup01 never resolves: so a second
    /// delivery that got through would start the domain again.
    final class Cluster: Sendable {
        let fixture: RemediationFixture
        let agentPort: Int
        let proxies: [HoldingProxy]
        let alertmanagers: [Daemon]
        let prometheus: Daemon
        let holdFlag: String
        /// Present while the relays pass requests on (see `HoldingProxy`).
        let gate: String

        init(holdFirstDelivery: Bool) async throws {
            let agentPort = try AgentProcess.freePort()
            self.agentPort = agentPort
            let fixture = try RemediationFixture(
                domains: ["backup01"],
                rules: "  - name: start-it\n    alertname: ClusterRemediate\n    action: start\n",
                hostNames: ["127.0.0.1:\(agentPort)"])
            self.fixture = fixture
            let directory = fixture.directory
            let holdFlag = directory.appending(path: "held").path
            self.holdFlag = holdFlag
            if !holdFirstDelivery { _ = FileManager.default.createFile(atPath: holdFlag, contents: nil) }
            let gate = directory.appending(path: "gate").path
            self.gate = gate
            _ = FileManager.default.createFile(atPath: gate, contents: nil)
            let tokenFile = directory.appending(path: "am.token").path
            try RemediationFixture.webhookToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let proxies = try (0..<2).map { _ in
                try HoldingProxy(to: agentPort, holdFlag: holdFlag, gate: gate, directory: directory)
            }
            self.proxies = proxies
            let web = try (0..<2).map { _ in try AgentProcess.freePort() }
            let gossip = try (0..<2).map { _ in try AgentProcess.freePort() }
            let alertmanagers = try (0..<2).map { index -> Daemon in
                let config = directory.appending(path: "alertmanager\(index).yml").path
                try """
                route:
                  receiver: agent
                  group_by: [alertname, domain, instance]
                  group_wait: 1s
                  group_interval: 1h
                  repeat_interval: 1h
                receivers:
                  - name: agent
                    webhook_configs:
                      - url: http://127.0.0.1:\(proxies[index].port)/api/v1/alertmanager
                        http_config: {authorization: {credentials_file: \(tokenFile)}}
                """.write(toFile: config, atomically: true, encoding: .utf8)
                return try Daemon(
                    "alertmanager\(index)", try #require(which("prometheus-alertmanager")),
                    [
                        "--config.file=\(config)", "--storage.path=\(directory.appending(path: "am\(index)").path)",
                        "--web.listen-address=127.0.0.1:\(web[index])",
                        "--cluster.listen-address=127.0.0.1:\(gossip[index])",
                        "--cluster.advertise-address=127.0.0.1:\(gossip[index])",
                        "--cluster.peer=127.0.0.1:\(gossip[1 - index])",
                        "--cluster.peer-timeout=\(AlertmanagerClusterTests.peerTimeout)s",
                        // Notifications wait for the gossip to settle, up to this long (a minute by default).
                        "--cluster.settle-timeout=5s",
                    ])
            }
            self.alertmanagers = alertmanagers
            // A setup that fails from here leaves them to no one: the test's `defer { cluster.stop() }` comes later.
            var started = false
            defer {
                if !started {
                    alertmanagers.forEach { $0.stop() }
                    proxies.forEach { $0.stop() }
                    fixture.remove()
                }
            }
            let rules = directory.appending(path: "cluster.rules.yml").path
            try """
            groups:
              - name: cluster
                rules:
                  - alert: ClusterRemediate
                    expr: vector(1)
                    labels: {domain: backup01, instance: "127.0.0.1:\(agentPort)"}
            """.write(toFile: rules, atomically: true, encoding: .utf8)
            let promConfig = directory.appending(path: "prometheus.yml").path
            try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: ["\(rules)"]
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: [\(web.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            """.write(toFile: promConfig, atomically: true, encoding: .utf8)
            // Prometheus starts once both Alertmanagers see each other: a peer that joins late settles late.
            for (index, alertmanager) in alertmanagers.enumerated() {
                let status = "http://127.0.0.1:\(web[index])/api/v2/status"
                let joined = try await alertmanager.wait(for: "a cluster of two", within: .seconds(60)) {
                    let cluster = (try curl([status]).json["cluster"] as? [String: Any])
                    return (cluster?["peers"] as? [Any])?.count == 2
                }
                try #require(joined)
            }
            let promPort = try AgentProcess.freePort()
            prometheus = try Daemon(
                "prometheus", try #require(which("prometheus")),
                [
                    "--config.file=\(promConfig)", "--storage.tsdb.path=\(directory.appending(path: "prom").path)",
                    "--web.listen-address=127.0.0.1:\(promPort)",
                    // Its first send can come before it knows the Alertmanagers, and is dropped: resend soon.
                    "--rules.alert.resend-delay=1s",
                ])
            started = true
        }

        func agent() async throws -> AgentProcess {
            try await AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI, port: agentPort)
        }

        /// The starts the agent carried out, from its audit log, which outlives its restarts.
        func starts() throws -> Int {
            try fixture.auditRecords().filter {
                $0["event"] as? String == "outcome" && $0["action"] as? String == "start"
                    && $0["result"] as? String == "success"
            }.count
        }

        var deliveries: Int { proxies.map(\.forwarded).reduce(0, +) }

        func stop() {
            prometheus.stop()
            alertmanagers.forEach { $0.stop() }
            proxies.forEach { $0.stop() }
            fixture.remove()
        }
    }

    @Test func bothUpTheAlertIsActedOnOnce() async throws {
        let began = ContinuousClock.now
        let cluster = try await Cluster(holdFirstDelivery: false)
        defer { cluster.stop() }
        let agent = try await cluster.agent()
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: "backup01")
        let acted = try await agent.daemon.wait(for: "the start", within: .seconds(90)) {
            try cluster.starts() == 1
        }
        try #require(acted)
        print("kvm-agent cluster: acted \(ContinuousClock.now - began) after the Alertmanagers were started")
        // The second peer's turn comes one peer timeout after the first's; a duplicate would come by then.
        try await Task.sleep(for: .seconds(Self.peerTimeout + 4))
        #expect(try cluster.starts() == 1)
        #expect(try Scrape(agent.curl(["\(agent.base)/metrics"]).text).state(of: "backup01") == "running")
        print("kvm-agent cluster: \(cluster.deliveries) deliveries from two Alertmanagers, one start")
    }

    /// The first Alertmanager delivers, the agent starts the domain, and that Alertmanager is killed before the
    /// answer reaches it: its peer never hears the notification went out and sends it again after its peer
    /// timeout. Meanwhile the agent restarts, and with it the demo host, where backup01 is shut off again: only
    /// the agent's persisted memory of the alert keeps it from starting the domain a second time.
    @Test func killedMidNotificationAndRestartedTheAlertIsStillActedOnOnce() async throws {
        let cluster = try await Cluster(holdFirstDelivery: true)
        defer { cluster.stop() }
        let first = try await cluster.agent()
        defer { first.kill() }
        try await first.waitUntilReady(domain: "backup01")
        let held = try await first.daemon.wait(for: "a delivery held mid-notification", within: .seconds(90)) {
            cluster.proxies.contains(where: \.held)
        }
        try #require(held)
        let sender = try #require(cluster.proxies.firstIndex { $0.held })
        cluster.alertmanagers[sender].stop()
        let acted = try await first.daemon.wait(for: "the start the held delivery asked for", within: .seconds(30)) {
            try cluster.starts() == 1
        }
        try #require(acted)

        first.kill()
        let second = try await cluster.agent()
        defer { second.kill() }
        try await second.waitUntilReady(domain: "backup01")
        // The surviving peer's resend, held back by the relays since the hold, may go through now.
        _ = FileManager.default.createFile(atPath: cluster.gate, contents: nil)
        let resent = try await second.daemon.wait(for: "the surviving peer's delivery", within: .seconds(60)) {
            cluster.proxies[1 - sender].forwarded >= 1
        }
        #expect(resent, "the surviving Alertmanager never sent the alert again")
        let deduplicated = try await second.daemon.wait(for: "the duplicate decision", within: .seconds(30)) {
            try second.decision("duplicate", domain: "backup01") != nil
        }
        #expect(deduplicated)
        #expect(try cluster.starts() == 1)
        #expect(try Scrape(second.curl(["\(second.base)/metrics"]).text).state(of: "backup01") == "shutoff")
    }
}
