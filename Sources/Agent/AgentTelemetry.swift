import KVMCore
import Prometheus

/// The agent's own metrics, through swift-prometheus's registry. Created with the registry directly rather
/// than through the swift-metrics facade because only the registry takes HELP text, which every family needs.
final class AgentTelemetry: CollectorTelemetry {
    let registry: PrometheusCollectorRegistry
    private let collections: [CollectionResult: Counter]
    private let lastDuration: Gauge
    private let lastTimestamp: Gauge
    private let reconnects: Counter
    private let connectionLosses: Counter

    init(registry: PrometheusCollectorRegistry, version: String) {
        self.registry = registry
        collections = Dictionary(
            uniqueKeysWithValues: CollectionResult.allCases.map {
                (
                    $0,
                    registry.makeCounter(
                        name: "kvm_agent_collections_total", labels: [("result", $0.rawValue)],
                        help:
                            "Collector loop passes by result: success, partial (some domains timed out), error, disconnected."
                    )
                )
            })
        lastDuration = registry.makeGauge(
            name: "kvm_agent_last_collection_duration_seconds", help: "How long the last collector loop pass took.")
        lastTimestamp = registry.makeGauge(
            name: "kvm_agent_last_collection_timestamp_seconds",
            help: "When the last collector loop pass ended, in seconds since the epoch.")
        reconnects = registry.makeCounter(
            name: "kvm_agent_libvirt_reconnects_total", help: "Connections to libvirt made again after a loss.")
        connectionLosses = registry.makeCounter(
            name: "kvm_agent_libvirt_connection_losses_total", help: "Times the libvirt connection was lost.")
        registry.makeGauge(
            name: "kvm_agent_build_info", labels: [("version", version), ("swift_version", Self.swiftVersion)],
            help: "The running kvm-agent build; value 1."
        ).set(to: 1.0)
        for kind in LifecycleEvent.Kind.allCases { _ = eventCounter(String(describing: kind)) }
    }

    private func eventCounter(_ event: String) -> Counter {
        registry.makeCounter(
            name: "kvm_agent_events_received_total", labels: [("event", event)],
            help: "libvirt domain events the agent received, by event type.")
    }

    func collectionFinished(result: CollectionResult, durationSeconds: Double, timestamp: Double) {
        collections[result]?.increment()
        lastDuration.set(durationSeconds)
        lastTimestamp.set(timestamp)
    }

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
