import Foundation
import Testing

/// A real Prometheus and Alertmanager on loopback, around one or more agents, with fast intervals.
struct AlertingStack {
    let directory: URL
    let prometheus: Daemon
    let alertmanager: Daemon
    let prometheusPort: Int
    let alertmanagerPort: Int

    static var available: Bool { which("prometheus") != nil && which("prometheus-alertmanager") != nil }

    /// `scrapeConfigs` and `alertmanagerConfig` are YAML; the Alertmanager address is filled in here.
    init(ruleFiles: [String], scrapeConfigs: String, alertmanagerConfig: String, directory: URL) throws {
        self.directory = directory
        prometheusPort = try AgentProcess.freePort()
        alertmanagerPort = try AgentProcess.freePort()
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
                - targets: ["127.0.0.1:\(alertmanagerPort)"]
        scrape_configs:
        \(scrapeConfigs)
        """.write(toFile: promConfig, atomically: true, encoding: .utf8)
        alertmanager = try Daemon(
            "alertmanager", try #require(which("prometheus-alertmanager")),
            [
                "--config.file=\(amConfig)", "--storage.path=\(directory.appending(path: "am").path)",
                "--web.listen-address=127.0.0.1:\(alertmanagerPort)", "--cluster.listen-address=",
            ])
        prometheus = try Daemon(
            "prometheus", try #require(which("prometheus")),
            [
                "--config.file=\(promConfig)", "--storage.tsdb.path=\(directory.appending(path: "prom").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)",
            ])
    }

    func stop() {
        prometheus.stop()
        alertmanager.stop()
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
