import KVMCore
import Prometheus
import Testing

@testable import AgentHTTP

/// `--web.disable-exporter-metrics`: the agent's own `kvm_agent_*` and `process_*` families go, the host's stay.
@Suite struct ExporterMetricsTests {
    func render(exporterMetrics: Bool) -> String {
        let store = InventoryStore()
        store.update { $0.libvirtUp = true }
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "kvm_agent", metricName: "scrapes", unitName: "total", helpText: "Scrapes.")
        ).increment()
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "kvm_remediation", metricName: "actions_in_progress", unitName: "", helpText: "Actions.")
        ).set(to: 1.0)
        let sample = ProcessSample(
            cpuSeconds: 1, residentMemoryBytes: 2, virtualMemoryBytes: 3, openFDs: 4, maxFDs: 5, startTimeSeconds: 6)
        return MetricsSource(store: store, registry: registry, process: { sample }, exporterMetrics: exporterMetrics)
            .render()
    }

    static func familyNames(_ text: String) -> Set<Substring> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
    }

    @Test func kept() {
        let names = Self.familyNames(render(exporterMetrics: true))
        #expect(names.contains("kvm_agent_scrapes_total"))
        #expect(names.contains("process_open_fds"))
        #expect(names.contains("kvm_libvirt_up"))
        #expect(names.contains("kvm_remediation_actions_in_progress"))
    }

    @Test func dropped() {
        let text = render(exporterMetrics: false)
        let names = Self.familyNames(text)
        #expect(!names.isEmpty)
        #expect(!names.contains { $0.hasPrefix("kvm_agent_") || $0.hasPrefix("process_") }, "\(names.sorted())")
        #expect(!text.contains("kvm_agent_") && !text.contains("\nprocess_"), "\(text)")
        #expect(names.contains("kvm_libvirt_up"))
        #expect(names.contains("kvm_remediation_actions_in_progress"))
    }
}
