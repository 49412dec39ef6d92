import KVMCore
import Prometheus
import Synchronization

/// Builds the /metrics body from the inventory snapshot, the agent's own metrics and process figures.
/// The inventory part is rendered once per inventory change and shared by all scrapes until the next one,
/// so concurrent scrapes cost neither libvirt calls nor repeated rendering.
public final class MetricsSource: Sendable {
    let store: InventoryStore
    let registry: PrometheusCollectorRegistry
    let process: @Sendable () -> ProcessSample?
    /// Runs before each render, to bring gauges owned by other components up to date.
    let beforeRender: @Sendable () -> Void
    /// Set by `--web.disable-exporter-metrics`: drops the agent's own families.
    let ownFamiliesFilter: FamilyFilter?
    private let cache = Mutex<(generation: UInt64, text: String)?>(nil)
    private let renderer = InventoryRenderer()

    public init(
        store: InventoryStore, registry: PrometheusCollectorRegistry, process: @escaping @Sendable () -> ProcessSample?,
        beforeRender: @escaping @Sendable () -> Void = {}, exporterMetrics: Bool = true
    ) {
        self.ownFamiliesFilter = exporterMetrics ? nil : FamilyFilter(droppedPrefixes: ["kvm_agent_", "process_"])
        self.beforeRender = beforeRender
        self.store = store
        self.registry = registry
        self.process = process
    }

    public func render() -> String {
        beforeRender()
        var text = inventoryText()
        if let sample = process() {
            var writer = ExpositionWriter()
            renderer.writeProcessFamilies(sample, into: &writer)
            text += writer.output
        }
        var own: [UInt8] = []
        registry.emit(into: &own)
        text += String(decoding: own, as: UTF8.self)
        return self.ownFamiliesFilter?.apply(to: text) ?? text
    }

    private func inventoryText() -> String {
        let generation = store.generation
        if let cached = cache.withLock({ $0 }), cached.generation == generation { return cached.text }
        let inventory = store.snapshot()
        let text = renderer.render(inventory).text
        cache.withLock { $0 = (inventory.generation, text) }
        return text
    }
}
