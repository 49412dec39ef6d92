import Prometheus
import Remediation
import Synchronization

/// `kvm_agent_remediation_*` and `kvm_agent_http_requests_total`, on the agent's registry.
final class RemediationMetrics: RemediationTelemetry {
    private let registry: PrometheusCollectorRegistry
    private let inProgress: Gauge
    private let quarantined: Gauge
    private let breakerOpen: Gauge
    private let dryRun: Gauge
    private let budgetSpent: Gauge
    private let maintenanceDomains: Gauge
    /// The per-window series now exported, by their labels: removed when their window ends.
    private let windows = Mutex<[[String]: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        inProgress = registry.makeGauge(
            descriptor: Self.name("remediation_actions_in_progress", "", "Remediation actions queued or running."))
        quarantined = registry.makeGauge(
            descriptor: Self.name(
                "remediation_quarantined_domains", "", "Domains quarantined after too many actions, until released."))
        breakerOpen = registry.makeGauge(
            descriptor: Self.name(
                "remediation_breaker_open", "",
                "1 while too many managed domains are down and every action is refused, else 0."))
        dryRun = registry.makeGauge(
            descriptor: Self.name(
                "remediation_dry_run", "", "1 when the policy's global dry run is on (decisions only), else 0."))
        budgetSpent = registry.makeGauge(
            descriptor: Self.name(
                "remediation_restart_budget_spent_domains", "",
                "Domains that used up their restart budget (limits.max_restarts) and are left alone until released."))
        maintenanceDomains = registry.makeGauge(
            descriptor: Self.name(
                "remediation_maintenance_domains", "",
                "Domains in maintenance set through the API (never acted on until it ends)."))
        for action in RemediationAction.allCases {
            for result in ActionResult.allCases { _ = actions(action, result) }
            _ = duration(action)
        }
    }

    private func actions(_ action: RemediationAction, _ result: ActionResult) -> Counter {
        registry.makeCounter(
            descriptor: Self.name(
                "remediation_actions", "total", "Remediation actions executed, by action and result."),
            labels: [("action", action.rawValue), ("result", result.rawValue)])
    }

    private func duration(_ action: RemediationAction) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: Self.name(
                "remediation_action_duration", "seconds", "Time from an action's start to its confirmed outcome."),
            labels: [("action", action.rawValue)], buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600])
    }

    func decided(_ decision: Decision) {
        registry.makeCounter(
            descriptor: Self.name(
                "remediation_decisions", "total", "Decisions on alerts and manual requests, by decision and reason."),
            labels: [("decision", decision.kind.rawValue), ("reason", decision.reason.rawValue)]
        ).increment()
    }

    func actionFinished(_ action: RemediationAction, result: ActionResult, seconds: Double) {
        actions(action, result).increment()
        duration(action).record(seconds)
    }

    func storageWritable(_ file: String, _ writable: Bool) {
        registry.makeGauge(
            descriptor: Self.name(
                "remediation_storage_writable", "",
                "1 while the file (audit_log, state_file) can be written, else 0: every action is refused then."),
            labels: [("file", file)]
        ).set(writable ? 1.0 : 0.0)
    }

    func status(inProgress: Int, quarantined: Int, breakerOpen: Bool, dryRun: Bool) {
        self.inProgress.set(Double(inProgress))
        self.quarantined.set(Double(quarantined))
        self.breakerOpen.set(breakerOpen ? 1.0 : 0.0)
        self.dryRun.set(dryRun ? 1.0 : 0.0)
    }

    /// One `..._maintenance_until_timestamp_seconds` series per window in force, with who set it.
    func maintenance(host: MaintenanceWindow?, domains: [MaintenanceWindow]) {
        maintenanceDomains.set(Double(domains.count))
        let current = (host.map { [("host", $0)] } ?? []) + domains.map { ("domain", $0) }
        windows.withLock { gauges in
            var kept: [[String]: Gauge] = [:]
            for (scope, window) in current {
                let labels = [scope, window.name, window.setBy]
                let gauge =
                    gauges[labels]
                    ?? registry.makeGauge(
                        descriptor: Self.name(
                            "remediation_maintenance_until_timestamp", "seconds",
                            "When a maintenance window set through the API ends (scope host or domain), with who "
                                + "set it; absent when none is in force."),
                        labels: [("scope", scope), ("domain", window.name), ("set_by", window.setBy)])
                gauge.set(window.until)
                kept[labels] = gauge
            }
            for (labels, gauge) in gauges where kept[labels] == nil { registry.unregisterGauge(gauge) }
            gauges = kept
        }
    }

    func restartBudgets(spent: Int) {
        budgetSpent.set(Double(spent))
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kvm_agent", metricName: metric, unitName: unit, helpText: help)
    }
}
