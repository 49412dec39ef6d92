import KVMCore
import LibvirtHypervisor
import Logging

extension ConnectionSupervisor.Hooks {
    /// Storage pool and network events change the inventory at once (a pool stopped, a network defined) and
    /// ask the collector to list pools and networks again, for the sizes, volumes and leases no event carries.
    func followingStorage(store: InventoryStore, collector: Collector, logger: Logger) -> Self {
        var hooks = self
        hooks.storagePoolEvent = { event in
            // A refresh (`virsh pool-refresh`, or after every volume change) is routine: debug only.
            logger.log(
                level: event.kind == .refreshed ? .debug : .info, "storage pool event",
                metadata: ["pool": "\(event.name)", "event": "\(event.kind.map { "\($0)" } ?? "unknown")"])
            store.applyStoragePoolEvent(event)
            collector.requestStorageRefresh()
        }
        hooks.networkEvent = { event in
            logger.info(
                "network event",
                metadata: ["network": "\(event.name)", "event": "\(event.kind.map { "\($0)" } ?? "unknown")"])
            store.applyNetworkEvent(event)
            collector.requestStorageRefresh()
        }
        return hooks
    }
}
