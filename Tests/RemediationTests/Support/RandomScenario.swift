import KVMCore

@testable import Remediation

/// A random policy, inventory and sequence of notifications, all from one seed, with what the test knows
/// independently of the engine: which domains exist, which the allow-list admits, which host is this one.
struct RandomScenario {
    struct Step {
        var message: WebhookMessage
        /// Seconds the clock moves before the message arrives.
        var advance: Double
    }

    static let names = ["vm_1", "vm_2", "db_1", "web_1", "app_1", "vm_3"]
    static let alertnames = ["A", "B", "C"]

    var policyText: String
    var domains: [TestDomain]
    var metadataOptIn: Bool
    var steps: [Step]

    init(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        metadataOptIn = rng.chance(0.5)
        var rules = "rules:\n"
        for index in 0..<Int.random(in: 1...3, using: &rng) {
            let action = rng.pick(["start", "shutdown"])
            rules += "  - name: rule\(index)\n"
            rules += "    alertname: [\(rng.pick(Self.alertnames)), \(rng.pick(Self.alertnames))]\n"
            rules += "    action: \(action)\n"
            if rng.chance(0.3) { rules += "    matchers: ['severity=~\"crit.*\"']\n" }
            if let dryRun = rng.pick([nil, true, false]) { rules += "    dry_run: \(dryRun)\n" }
            if action == "start" && rng.chance(0.5) { rules += "    when_paused: resume\n" }
            if rng.chance(0.2) { rules += "    allow_orchestrated: true\n" }
            if rng.chance(0.2) { rules += "    allow_transient: true\n" }
        }
        let limits = [
            "max_actions": "\(Int.random(in: 1...3, using: &rng))", "cooldown": rng.pick(["1s", "30s", "2m"]),
            "window": rng.pick(["1m", "1h"]), "quarantine_for": rng.pick(["1h", "2h", "until_released"]),
        ]
        policyText = PolicyText.yaml(
            dryRun: rng.chance(0.3), limits: limits, breaker: ["min_domains": "\(Int.random(in: 2...8, using: &rng))"],
            domains: "names: [\"vm_*\", \"db*\"]\n  metadata_opt_in: \(metadataOptIn)", rules: rules)

        domains = []
        for (number, name) in Self.names.enumerated() where rng.chance(0.7) {
            domains.append(
                TestDomain(
                    name, number,
                    state: rng.pick([.running, .running, .shutoff, .shutoff, .paused, .crashed, .pmsuspended]),
                    reason: rng.pick(["unknown", "crashed"]), persistent: rng.chance(0.9), autostart: rng.chance(0.3),
                    orchestrator: rng.chance(0.15) ? "nova" : nil, optedIn: rng.chance(0.3),
                    configRead: rng.chance(0.95)
                ))
        }

        steps = []
        var sent: [Alert] = []
        for _ in 0..<Int.random(in: 2...6, using: &rng) {
            var alerts: [Alert] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                if !sent.isEmpty && rng.chance(0.2) {
                    alerts.append(Alerts.resolved(rng.pick(sent)))
                    continue
                }
                var labels: [String: String] = [:]
                if rng.chance(0.5) { labels["severity"] = rng.pick(["critical", "warning"]) }
                let alert = Alerts.firing(
                    rng.pick(Self.alertnames),
                    domain: rng.pick(Self.names + ["ghost", "vm_1", "db_1"]).nilIf(rng.chance(0.1)),
                    instance: rng.pick([
                        "kvm01.example.net:9760", "kvm01.example.net:9760", "kvm02.example.net:9760", "kvm01",
                    ]).nilIf(
                        rng.chance(0.1)),
                    fingerprint: rng.pick(["f1", "f2", "f3", "f4"]),
                    startsAt: rng.pick(["2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z", "2026-11-26T12:00:00Z"]),
                    labels: labels)
                sent.append(alert)
                alerts.append(alert)
            }
            steps.append(Step(message: Alerts.message(alerts), advance: rng.pick([0, 1, 31, 121, 121, 4000])))
        }
    }

    /// What the test knows about where an alert may lead, without asking the engine.
    func mayAct(on alert: Alert) -> Bool {
        guard let instance = alert.labels["instance"], instance.hasPrefix("kvm01.example.net:") || instance == "kvm01"
        else { return false }
        guard let name = alert.labels["domain"], let domain = domains.first(where: { $0.ref.name == name }) else {
            return false
        }
        return name.hasPrefix("vm_") || name.hasPrefix("db") || (metadataOptIn && domain.optedIn)
    }
}

extension String {
    fileprivate func nilIf(_ condition: Bool) -> String? {
        condition ? nil : self
    }
}
