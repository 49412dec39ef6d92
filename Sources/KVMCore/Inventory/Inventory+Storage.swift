/// Storage pools and virtual networks: listed by the collector on every pass (sizes change without any
/// event) and at once after a pool or network event, which also changes the inventory directly.
extension Inventory {
    /// Pools in the order they are exposed: by name, then UUID.
    public var sortedStoragePools: [StoragePoolEntry] {
        storagePools.values.sorted { ($0.name, $0.uuid) < ($1.name, $1.uuid) }
    }

    public var sortedNetworks: [NetworkEntry] {
        networks.values.sorted { ($0.name, $0.uuid) < ($1.name, $1.uuid) }
    }

    mutating func applyStoragePoolEvent(_ event: StoragePoolEvent) {
        poolEventsApplied &+= 1
        let known = storagePools[event.uuid]
        switch event.kind {
        case .defined:
            var entry = known ?? StoragePoolEntry(name: event.name, uuid: event.uuid, state: .inactive)
            entry.persistent = true
            storagePools[event.uuid] = entry
        case .undefined:
            // A running pool that loses its definition stays, transient, until it stops.
            if let known, known.state != .inactive {
                storagePools[event.uuid]?.persistent = false
                storagePools[event.uuid]?.autostart = false
            } else {
                storagePools[event.uuid] = nil
            }
        case .started:
            storagePools[event.uuid]?.state = .running
        case .stopped:
            if known?.persistent == false {
                storagePools[event.uuid] = nil
                return
            }
            storagePools[event.uuid]?.state = .inactive
            storagePools[event.uuid]?.capacityBytes = nil
            storagePools[event.uuid]?.allocationBytes = nil
            storagePools[event.uuid]?.availableBytes = nil
            storagePools[event.uuid]?.volumes = nil
        case .created, .deleted, .refreshed, nil:
            break  // sizes and volumes come with the listing the event asks for
        }
    }

    mutating func applyNetworkEvent(_ event: NetworkEvent) {
        networkEventsApplied &+= 1
        let known = networks[event.uuid]
        switch event.kind {
        case .defined:
            var entry = known ?? NetworkEntry(name: event.name, uuid: event.uuid, active: false)
            entry.persistent = true
            networks[event.uuid] = entry
        case .undefined:
            if let known, known.active {
                networks[event.uuid]?.persistent = false
                networks[event.uuid]?.autostart = false
            } else {
                networks[event.uuid] = nil
            }
        case .started:
            networks[event.uuid]?.active = true
        case .stopped:
            if known?.persistent == false {
                networks[event.uuid] = nil
                return
            }
            networks[event.uuid]?.active = false
            networks[event.uuid]?.dhcpLeases = nil
        case nil:
            break
        }
    }
}

/// How many pool and network events the inventory had applied when a listing began: a listing is applied
/// only if no event came in since, because an event may tell of a change the listing missed, and the event
/// has asked for a new listing already.
public struct StorageListingTicket: Sendable, Equatable {
    let poolEvents: UInt64
    let networkEvents: UInt64
}

extension InventoryStore {
    public func applyStoragePoolEvent(_ event: StoragePoolEvent) {
        update { $0.applyStoragePoolEvent(event) }
    }

    public func applyNetworkEvent(_ event: NetworkEvent) {
        update { $0.applyNetworkEvent(event) }
    }

    /// Taken before pools and networks are listed.
    public func beginStorageListing() -> StorageListingTicket {
        let inventory = snapshot()
        return StorageListingTicket(
            poolEvents: inventory.poolEventsApplied, networkEvents: inventory.networkEventsApplied)
    }

    /// Replaces the pools with a listing, unless a pool event arrived since `ticket`; returns whether it did.
    @discardableResult
    public func applyStoragePools(_ pools: [StoragePoolEntry], ticket: StorageListingTicket) -> Bool {
        update { inventory in
            guard inventory.libvirtUp, inventory.poolEventsApplied == ticket.poolEvents else { return false }
            inventory.storagePools = Dictionary(pools.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
            return true
        }
    }

    /// Replaces the networks with a listing, unless a network event arrived since `ticket`.
    @discardableResult
    public func applyNetworks(_ networks: [NetworkEntry], ticket: StorageListingTicket) -> Bool {
        update { inventory in
            guard inventory.libvirtUp, inventory.networkEventsApplied == ticket.networkEvents else { return false }
            inventory.networks = Dictionary(networks.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
            return true
        }
    }
}
