import Prometheus

/// What became of the last reload of each configuration file (`file` is web, policy or tokens), named as
/// Prometheus and Alertmanager name theirs: a failed reload leaves the old file in force, and an alert on
/// `kvm_agent_config_last_reload_successful == 0` says the file on disk is not what runs.
struct ReloadMetrics {
    private let successful: [String: Gauge]
    private let successTimestamp: [String: Gauge]
    private let failures: [String: Counter]

    /// `files` are the labels of the files read at start, which count as a successful load at `now`.
    init(registry: PrometheusCollectorRegistry, files: [String], now: Double) {
        let successfulName = MetricNameDescriptor(
            namespace: "kvm_agent", metricName: "config_last_reload_successful", unitName: "",
            helpText: "1 when the last reload of the file (web, policy, tokens) succeeded, 0 when it was refused "
                + "and the previous one stayed in force.")
        let timestampName = MetricNameDescriptor(
            namespace: "kvm_agent", metricName: "config_last_reload_success_timestamp", unitName: "seconds",
            helpText:
                "When the file was last loaded successfully (at start, on SIGHUP or after it changed), in seconds since the epoch."
        )
        let failuresName = MetricNameDescriptor(
            namespace: "kvm_agent", metricName: "config_reload_failures", unitName: "total",
            helpText: "Reloads of the file refused because it did not validate; the previous one stayed in force.")
        var successful: [String: Gauge] = [:]
        var successTimestamp: [String: Gauge] = [:]
        var failures: [String: Counter] = [:]
        for file in files {
            successful[file] = registry.makeGauge(descriptor: successfulName, labels: [("file", file)])
            successTimestamp[file] = registry.makeGauge(descriptor: timestampName, labels: [("file", file)])
            failures[file] = registry.makeCounter(descriptor: failuresName, labels: [("file", file)])
            successful[file]?.set(to: 1.0)
            successTimestamp[file]?.set(to: now)
        }
        self.successful = successful
        self.successTimestamp = successTimestamp
        self.failures = failures
    }

    func succeeded(_ file: String, at now: Double) {
        successful[file]?.set(to: 1.0)
        successTimestamp[file]?.set(to: now)
    }

    func failed(_ file: String) {
        successful[file]?.set(to: 0.0)
        failures[file]?.increment()
    }
}
