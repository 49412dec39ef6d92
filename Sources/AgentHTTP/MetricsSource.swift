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
    private let cache = Mutex<(generation: UInt64, bytes: [UInt8])?>(nil)
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
        String(decoding: body(), as: UTF8.self)
    }

    /// The body as UTF-8 bytes, which is how the scrape sends it.
    public func body() -> [UInt8] {
        beforeRender()
        var body = inventoryBytes()
        if let sample = process() {
            var writer = ExpositionWriter()
            renderer.writeProcessFamilies(sample, into: &writer)
            body += writer.bytes
        }
        registry.emit(into: &body)
        guard let filter = ownFamiliesFilter else { return body }
        return Array(filter.apply(to: String(decoding: body, as: UTF8.self)).utf8)
    }

    private func inventoryBytes() -> [UInt8] {
        let generation = store.generation
        if let cached = cache.withLock({ $0 }), cached.generation == generation { return cached.bytes }
        let inventory = store.snapshot()
        let bytes = renderer.renderBytes(inventory).bytes
        cache.withLock { $0 = (inventory.generation, bytes) }
        return bytes
    }
}
