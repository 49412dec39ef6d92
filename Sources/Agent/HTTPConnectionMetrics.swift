import Prometheus
import WebSecurity

/// The HTTP server's connection metrics: connections open, turned away by a cap, and closed for a slow request
/// head. Every series exists from the start, so that a rate over them is defined before the first rejection.
struct HTTPConnectionMetrics: Sendable {
    private let rejections: [ConnectionTable.Rejection: Counter]
    private let headerTimeouts: Counter
    private let open: Gauge

    init(registry: PrometheusCollectorRegistry) {
        let rejected = MetricNameDescriptor(
            namespace: "kvm_agent", metricName: "http_connections_rejected", unitName: "total",
            helpText: "HTTP connections closed on accept because a cap was reached, by cap: client_limit "
                + "(--web.max-connections-per-client) or total_limit (--web.max-connections).")
        rejections = Dictionary(
            uniqueKeysWithValues: ConnectionTable.Rejection.allCases.map {
                ($0, registry.makeCounter(descriptor: rejected, labels: [("reason", $0.rawValue)]))
            })
        headerTimeouts = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "kvm_agent", metricName: "http_read_header_timeouts", unitName: "total",
                helpText: "HTTP connections closed because a request head was not complete within "
                    + "--web.read-header-timeout."))
        open = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "kvm_agent", metricName: "http_connections_open", unitName: "",
                helpText: "HTTP connections open, counting the scrape that reads this."))
    }

    func rejected(_ reason: ConnectionTable.Rejection) { rejections[reason]?.increment() }

    func headerTimedOut() { headerTimeouts.increment() }

    func publish(open count: Int) { open.set(Double(count)) }
}
