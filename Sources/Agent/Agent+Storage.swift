import KVMCore
import LibvirtHypervisor
import Logging

extension ConnectionSupervisor.Hooks {
    /// Storage pool and network events change the inventory at once (a pool stopped, a network defined) and
    /// ask the collector to list pools and networks again, for the sizes, volumes and leases no event carries.
    /// With a collector switched off its events are left alone, so its families stay absent.
    func followingStorage(
        store: InventoryStore, collector: Collector, collectors: Set<CollectorGroup>, logger: Logger
    ) -> Self {
        var hooks = self
        if collectors.contains(.pools) { hooks.storagePoolEvent = Self.poolEvent(store, collector, logger) }
        if collectors.contains(.networks) { hooks.networkEvent = Self.networkEvent(store, collector, logger) }
        return hooks
    }

    private static func poolEvent(_ store: InventoryStore, _ collector: Collector, _ logger: Logger)
        -> @Sendable (StoragePoolEvent) -> Void
    {
        { event in
            // A refresh (`virsh pool-refresh`, or after every volume change) is routine: debug only.
            logger.log(
                level: event.kind == .refreshed ? .debug : .info, "storage pool event",
                metadata: ["pool": "\(event.name)", "event": "\(event.kind.map { "\($0)" } ?? "unknown")"])
            store.applyStoragePoolEvent(event)
            collector.requestStorageRefresh()
        }
    }

    private static func networkEvent(_ store: InventoryStore, _ collector: Collector, _ logger: Logger)
        -> @Sendable (NetworkEvent) -> Void
    {
        { event in
            logger.info(
                "network event",
                metadata: ["network": "\(event.name)", "event": "\(event.kind.map { "\($0)" } ?? "unknown")"])
            store.applyNetworkEvent(event)
            collector.requestStorageRefresh()
        }
    }
}
