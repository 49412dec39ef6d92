import KVMCore
import Prometheus
import Synchronization

/// The agent's own metrics, through swift-prometheus's registry. Created with the registry directly rather
/// than through the swift-metrics facade because only the registry takes HELP text, which every family needs.
final class AgentTelemetry: CollectorTelemetry {
    let registry: PrometheusCollectorRegistry
    private let collections: [CollectionResult: Counter]
    private let lastDuration: Gauge
    private let lastTimestamp: Gauge
    private let lastEnd = Mutex<Double?>(nil)
    private let reconnects: Counter
    private let connectionLosses: Counter
    private let passFinished: @Sendable (CollectionResult) -> Void

    init(
        registry: PrometheusCollectorRegistry, version: String,
        passFinished: @escaping @Sendable (CollectionResult) -> Void = { _ in }
    ) {
        self.registry = registry
        self.passFinished = passFinished
        let collectionsName = Self.name(
            "collections", "total",
            "Collector loop passes by result: success, partial (some domains timed out), error, disconnected.")
        collections = Dictionary(
            uniqueKeysWithValues: CollectionResult.allCases.map {
                ($0, registry.makeCounter(descriptor: collectionsName, labels: [("result", $0.rawValue)]))
            })
        lastDuration = registry.makeGauge(
            descriptor: Self.name("last_collection_duration", "seconds", "How long the last collector loop pass took."))
        lastTimestamp = registry.makeGauge(
            descriptor: Self.name(
                "last_collection_timestamp", "seconds",
                "When the last collector loop pass ended, in seconds since the epoch."))
        reconnects = registry.makeCounter(
            descriptor: Self.name("libvirt_reconnects", "total", "Connections to libvirt made again after a loss."))
        connectionLosses = registry.makeCounter(
            descriptor: Self.name("libvirt_connection_losses", "total", "Times the libvirt connection was lost."))
        registry.makeGauge(
            descriptor: Self.name("build", "info", "The running kvm-agent build; value 1."),
            labels: [("version", version), ("swift_version", Self.swiftVersion)]
        ).set(to: 1.0)
        for kind in LifecycleEvent.Kind.allCases { _ = eventCounter(kind.name) }
        for kind in [ConnectionFailure.Kind.permissionDenied, .unreachable] { _ = connectFailureCounter(kind) }
    }

    /// `kvm_agent_libvirt_connect_failures_total{reason}`: every failed attempt, where the log tells only the
    /// first of a kind; a refusal that lasts shows as a steady rise of `permission_denied`.
    func connectFailed(_ kind: ConnectionFailure.Kind) {
        connectFailureCounter(kind).increment()
    }

    private func connectFailureCounter(_ kind: ConnectionFailure.Kind) -> Counter {
        registry.makeCounter(
            descriptor: Self.name(
                "libvirt_connect_failures", "total",
                "Failed attempts to connect to libvirt, by reason (permission_denied, unreachable)."),
            labels: [("reason", kind.name)])
    }

    private func eventCounter(_ event: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name(
                "events_received", "total", "libvirt domain events the agent received, by event type."),
            labels: [("event", event)])
    }

    /// kvm_agent_<metric>_<unit>, with its HELP text.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kvm_agent", metricName: metric, unitName: unit, helpText: help)
    }

    func collectionFinished(result: CollectionResult, durationSeconds: Double, timestamp: Double) {
        collections[result]?.increment()
        lastDuration.set(durationSeconds)
        lastTimestamp.set(timestamp)
        lastEnd.withLock { $0 = timestamp }
        passFinished(result)
    }

    func hypervisorCallStarted(_ operation: String) {
        registry.makeCounter(
            descriptor: Self.name(
                "libvirt_calls", "total",
                "Calls the collector made to libvirt, by operation; scrapes make none, they read memory."),
            labels: [("operation", operation)]
        ).increment()
    }

    func httpRequest(endpoint: String, code: Int) {
        registry.makeCounter(
            descriptor: Self.name(
                "http_requests", "total", "HTTP requests the agent answered, by matched route and status code."),
            labels: [("endpoint", endpoint), ("code", String(code))]
        ).increment()
    }

    /// When the last collector pass ended, in seconds since the epoch; nil before the first.
    var lastCollectionEnd: Double? { lastEnd.withLock { $0 } }

    func eventReceived(_ event: LifecycleEvent) {
        eventCounter(event.eventName).increment()
    }

    func connected(reconnect: Bool) {
        if reconnect { reconnects.increment() }
    }

    func disconnected() {
        connectionLosses.increment()
    }

    static let swiftVersion: String = {
        #if compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #else
            "6.1"
        #endif
    }()
}
