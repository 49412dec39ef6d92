/// The agent's picture of the host at one moment: a value, so a scrape renders a consistent snapshot.
public struct Inventory: Sendable, Equatable {
    public var libvirtUp = false
    /// Why the last attempt to connect failed; nil while connected, and before any attempt has failed.
    public var connectionFailure: ConnectionFailure?
    /// Whether a collector pass begun on the current connection has finished: until then the domain list
    /// may be the one from before the connection (or none at all), and the agent is not ready.
    public var collectedSinceConnecting = false
    /// Why the collector's last domain listing failed on this connection; nil once one works. A connection
    /// whose listings fail (an ACL that lets the agent connect but not list) stays collecting: this says why.
    public var listingFailure: String?
    public var identity: HypervisorIdentity?
    public var host: HostCapability?
    /// systemd's view of the libvirt daemons' units; nil where systemd does not answer.
    public var hostServices: [String: HostServiceState]?
    /// Keyed by UUID.
    public var domains: [String: DomainEntry] = [:]
    /// Storage pools and virtual networks, keyed by UUID (see Inventory+Storage.swift).
    public var storagePools: [String: StoragePoolEntry] = [:]
    public var networks: [String: NetworkEntry] = [:]
    /// Pool and network events applied so far: a listing begun before the latest one is older news.
    var poolEventsApplied: UInt64 = 0
    var networkEventsApplied: UInt64 = 0
    /// Bumped on every change, so renderers can cache by it.
    public internal(set) var generation: UInt64 = 0
    /// Listings handed a ticket, and the newest of them applied: see `ListingTicket`.
    var listingsBegun: UInt64 = 0
    var newestListingApplied: UInt64 = 0
    /// `listingsBegun` when the current connection was made: passes with a later ticket began on it.
    var listingsBeforeConnecting: UInt64 = 0

    public init() {}

    /// Domains in the order they are exposed: by name, then UUID for the rare clash of names.
    public var sortedDomains: [DomainEntry] {
        // Sorts positions, then copies each entry once: sorting the entries themselves moves each of them
        // several times, and every move retains and releases all of an entry's strings and dictionaries
        // (a million instructions a sort at 100 domains, by callgrind; the collector sorts several times a pass).
        let entries = Array(domains.values)
        return entries.indices.sorted {
            (entries[$0].ref.name, entries[$0].ref.uuid) < (entries[$1].ref.name, entries[$1].ref.uuid)
        }.map { entries[$0] }
    }
}

extension Inventory {
    mutating func applyLifecycle(_ event: LifecycleEvent) {
        let uuid = event.domain.uuid
        let counter = LifecycleCounterKey(event: event.eventName, detail: event.detailName)
        if event.kind == .undefined {
            // A running domain that loses its definition becomes transient and stays listed.
            if let entry = domains[uuid], entry.state.isActive {
                domains[uuid]?.config?.persistent = false
                domains[uuid]?.lifecycleEvents[counter, default: 0] += 1
            } else {
                domains[uuid] = nil
            }
            return
        }
        var entry = domains[uuid] ?? DomainEntry(ref: event.domain, state: .shutoff, reason: "unknown")
        entry.ref = event.domain
        entry.lifecycleEvents[counter, default: 0] += 1
        entry.lastEvent = LastEvent(kind: counter, time: event.time)
        entry.lastEventAt = event.time
        // A started domain's live definition differs from the stored one (interface names, the balloon's
        // statistics period): read it again.
        if event.kind == .defined || event.kind == .started {
            entry.configStale = true
        }
        // A new qemu process: new vCPU threads, and another process's resident memory.
        if event.kind == .started || event.kind == .stopped || event.kind == .crashed {
            entry.vcpuinfoChanges.tell()
            entry.balloonChanges.tell()
        }
        if let state = event.resultingState, state != entry.state || event.kind == .started {
            entry.state = state
            entry.reason = event.resultingReason
            entry.stateChangedAt = event.time
        }
        if !entry.state.isActive { entry.dropSamples() }
        domains[uuid] = entry
    }

    mutating func beginListing(at startedAt: Double) -> ListingTicket {
        listingsBegun += 1
        return ListingTicket(sequence: listingsBegun, startedAt: startedAt)
    }

    /// Reconciles with a full listing taken from `ticket.startedAt`: adds new domains, drops vanished ones,
    /// and corrects states that no event reported, except where an event arrived after the listing began.
    /// A listing begun before one already applied is older news and changes nothing; returns whether it
    /// was applied.
    mutating func applyListing(_ listing: [DomainSummary], ticket: ListingTicket) -> Bool {
        guard ticket.sequence > newestListingApplied else { return false }
        newestListingApplied = ticket.sequence
        let startedAt = ticket.startedAt
        var seen = Set<String>()
        for summary in listing {
            let uuid = summary.ref.uuid
            seen.insert(uuid)
            let reason = summary.state.reasonName(code: summary.reasonCode)
            guard var entry = domains[uuid] else {
                domains[uuid] = DomainEntry(ref: summary.ref, state: summary.state, reason: reason)
                continue
            }
            if let eventAt = entry.lastEventAt, eventAt >= startedAt { continue }
            entry.ref = summary.ref
            if entry.state != summary.state {
                entry.stateChangedAt = startedAt
            }
            entry.state = summary.state
            entry.reason = reason
            if !entry.state.isActive { entry.dropSamples() }
            domains[uuid] = entry
        }
        for (uuid, entry) in domains where !seen.contains(uuid) {
            if let eventAt = entry.lastEventAt, eventAt >= startedAt { continue }
            domains[uuid] = nil
        }
        return true
    }
}

/// A listing's place in line, taken when the listing starts. Listings can finish out of order (one waits
/// on a slow daemon while a later one returns), and one that started earlier knows less than one applied
/// already: the inventory refuses it.
public struct ListingTicket: Sendable, Equatable {
    let sequence: UInt64
    /// When the listing started, in seconds since the epoch: events after it win over what it says.
    public let startedAt: Double
}
