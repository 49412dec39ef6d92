import Foundation
import Testing

/// A real Prometheus and Alertmanager on loopback, around one or more agents, with fast intervals.
struct AlertingStack {
    let directory: URL
    let prometheus: Daemon
    let alertmanager: Daemon
    let prometheusPort: Int
    let alertmanagerPort: Int
    /// Every Alertmanager, the first one included; more than one form a cluster (`--cluster.peer`).
    let alertmanagers: [Daemon]
    let alertmanagerPorts: [Int]

    static var available: Bool { which("prometheus") != nil && which("prometheus-alertmanager") != nil }

    /// `scrapeConfigs` and `alertmanagerConfig` are YAML; the Alertmanager addresses are filled in here.
    /// `clustered`: that many Alertmanagers gossiping with each other, Prometheus alerting all of them.
    init(
        ruleFiles: [String], scrapeConfigs: String, alertmanagerConfig: String, directory: URL, clustered: Int = 1
    ) throws {
        self.directory = directory
        prometheusPort = try AgentProcess.freePort()
        let amPorts = try (0..<max(clustered, 1)).map { _ in try AgentProcess.freePort() }
        alertmanagerPorts = amPorts
        alertmanagerPort = amPorts[0]
        let amConfig = directory.appending(path: "alertmanager.yml").path
        try alertmanagerConfig.write(toFile: amConfig, atomically: true, encoding: .utf8)
        let promConfig = directory.appending(path: "prometheus.yml").path
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
        alerting:
          alertmanagers:
            - static_configs:
                - targets: [\(amPorts.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
        scrape_configs:
        \(scrapeConfigs)
        """.write(toFile: promConfig, atomically: true, encoding: .utf8)
        let gossipPorts = try amPorts.map { _ in try AgentProcess.freePort() }
        let executable = try #require(which("prometheus-alertmanager"))
        alertmanagers = try amPorts.indices.map { index in
            var arguments = [
                "--config.file=\(amConfig)", "--storage.path=\(directory.appending(path: "am\(index)").path)",
                "--web.listen-address=127.0.0.1:\(amPorts[index])",
            ]
            if gossipPorts.count == 1 {
                arguments.append("--cluster.listen-address=")
            } else {
                // Fast gossip and a short peer timeout: the second in line sends 2 s after the first unless it
                // has heard that the first did.
                arguments += [
                    "--cluster.listen-address=127.0.0.1:\(gossipPorts[index])", "--cluster.peer-timeout=2s",
                    "--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=1s",
                ]
                arguments += gossipPorts.indices.filter { $0 != index }.map {
                    "--cluster.peer=127.0.0.1:\(gossipPorts[$0])"
                }
            }
            return try Daemon("alertmanager\(index)", executable, arguments)
        }
        alertmanager = alertmanagers[0]
        prometheus = try Daemon(
            "prometheus", try #require(which("prometheus")),
            [
                "--config.file=\(promConfig)", "--storage.tsdb.path=\(directory.appending(path: "prom").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)",
            ])
    }

    func stop() {
        prometheus.stop()
        alertmanagers.forEach { $0.stop() }
    }

    /// Prometheus's active alerts (`/api/v1/alerts`): labels and state (pending, firing).
    func alerts() throws -> [(labels: [String: String], state: String)] {
        let answer = try curl(["http://127.0.0.1:\(prometheusPort)/api/v1/alerts"])
        let data = (answer.json["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        return data.map { ($0["labels"] as? [String: String] ?? [:], $0["state"] as? String ?? "") }
    }

    func alertState(_ name: String, domain: String) throws -> String? {
        try alerts().first { $0.labels["alertname"] == name && $0.labels["domain"] == domain }?.state
    }
}

/// The agent's action list over HTTP, filtered.
extension AgentProcess {
    func actions() throws -> [[String: Any]] {
        (try get("/api/v1/actions?limit=1000").json["actions"] as? [[String: Any]]) ?? []
    }

    /// The first record (oldest first) with this decision reason for the domain, from Alertmanager.
    func decision(_ reason: String, domain: String) throws -> [String: Any]? {
        try actions().reversed().first {
            $0["domain"] as? String == domain && $0["source"] as? String == "alertmanager"
                && ($0["decision"] as? [String: Any])?["reason"] as? String == reason
        }
    }
}
