import Synchronization

/// The one shared, current inventory. Writers are the event callback and the collector loop; readers take
/// a snapshot, so a scrape never waits on libvirt, only on a short in-memory lock.
public final class InventoryStore: Sendable {
    private let state = Mutex(Inventory())

    public init() {}

    public func snapshot() -> Inventory {
        state.withLock { $0 }
    }

    public var generation: UInt64 {
        state.withLock { $0.generation }
    }

    /// Runs `body` on the inventory under the lock and marks it changed.
    public func update<T>(_ body: (inout Inventory) throws -> T) rethrows -> T {
        try state.withLock { inventory in
            defer { inventory.generation &+= 1 }
            return try body(&inventory)
        }
    }

    public func applyLifecycle(_ event: LifecycleEvent) {
        update { $0.applyLifecycle(event) }
    }

    /// Applies a disk or job event; returns the count it brought its series to (see `Inventory`).
    @discardableResult
    public func applyDomainEvent(_ event: DomainEvent) -> Double {
        update { $0.applyDomainEvent(event) }
    }

    /// Takes a ticket for a listing about to start, before the hypervisor is asked.
    public func beginListing(at startedAt: Double) -> ListingTicket {
        state.withLock { $0.beginListing(at: startedAt) }
    }

    /// Applies a listing unless one begun after it was applied already; returns whether it was applied.
    @discardableResult
    public func applyListing(_ listing: [DomainSummary], ticket: ListingTicket) -> Bool {
        state.withLock { inventory in
            guard inventory.applyListing(listing, ticket: ticket) else { return false }
            inventory.generation &+= 1
            return true
        }
    }

    public func connected(_ identity: HypervisorIdentity) {
        update {
            $0.libvirtUp = true
            $0.identity = identity
            $0.connectionFailure = nil
            $0.collectedSinceConnecting = false
            $0.listingFailure = nil
            $0.listingsBeforeConnecting = $0.listingsBegun
        }
    }

    /// Nothing from before the loss is served as fresh: sampled figures are dropped, the domain list
    /// is kept only so that lifecycle counters carry on after the reconnect. `failure` says why, when known.
    public func disconnected(_ failure: ConnectionFailure? = nil) {
        update { inventory in
            inventory.libvirtUp = false
            inventory.connectionFailure = failure
            inventory.collectedSinceConnecting = false
            inventory.listingFailure = nil
            for uuid in inventory.domains.keys {
                inventory.domains[uuid]?.dropSamples()
                inventory.domains[uuid]?.guest.reset()
                inventory.domains[uuid]?.jobs.current = nil
            }
            // Pools and networks carry no counters to keep: the first pass after reconnecting lists them again.
            inventory.storagePools = [:]
            inventory.networks = [:]
        }
    }

    /// A collector pass whose listing took `ticket` has finished (some domains may have failed): if it began
    /// on the current connection, the figures are now as true as the agent can make them.
    public func passFinished(_ ticket: ListingTicket) {
        state.withLock { inventory in
            guard inventory.libvirtUp, !inventory.collectedSinceConnecting,
                ticket.sequence > inventory.listingsBeforeConnecting
            else { return }
            inventory.collectedSinceConnecting = true
            inventory.generation &+= 1
        }
    }

    public func setHost(_ host: HostCapability) {
        update { $0.host = host }
    }
}
