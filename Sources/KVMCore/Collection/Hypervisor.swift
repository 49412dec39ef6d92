/// What the collector needs from a hypervisor connection. Every call may block for long in the real
/// implementation; the collector gives each one a deadline and never calls it from a scrape.
public protocol Hypervisor: Sendable {
    /// All domains, running and defined-only, with their states.
    func listDomains() async throws -> [DomainSummary]
    /// Bulk statistics for the given domains, skipping those whose job lock is held. Domains missing from
    /// the answer were skipped.
    func bulkStats(_ domains: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]]
    /// Statistics of one domain, waiting for its job lock (unlike `bulkStats`), so a stuck domain blocks
    /// only this call.
    func domainStats(_ domain: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue]
    func basicInfo(_ domain: DomainRef) async throws -> DomainBasicInfo
    func blockStats(_ domain: DomainRef, device: String) async throws -> BlockDeviceStats
    func interfaceStats(_ domain: DomainRef, device: String) async throws -> InterfaceDeviceStats
    /// What `virsh vcpuinfo` shows.
    func vcpuInfo(_ domain: DomainRef) async throws -> [VCPUInfo]
    /// The same, for a domain known to have at most `maximumVCPUs`: libvirt then sizes its answer to them
    /// rather than to 1,024 vCPUs.
    func vcpuInfo(_ domain: DomainRef, maximumVCPUs: Int?) async throws -> [VCPUInfo]
    func config(_ domain: DomainRef) async throws -> DomainConfig
    /// Every storage pool with its state, sizes and volume count (`virsh pool-list --all --details`).
    func listStoragePools() async throws -> [StoragePoolEntry]
    /// Every virtual network with its state, bridge and DHCP leases (`virsh net-list --all`).
    func listNetworks() async throws -> [NetworkEntry]
    /// Sets how often the running domain's balloon driver reports the guest's memory figures; the
    /// definition is left alone (`--collector.balloon-period`).
    func setMemoryStatsPeriod(_ domain: DomainRef, seconds: Int) async throws
    /// The domain's running job, nil when none runs (`virDomainGetJobStats`).
    func jobProgress(_ domain: DomainRef) async throws -> JobProgress?
}

extension Hypervisor {
    /// Hypervisors that know no storage pools or networks (test doubles) list none.
    public func listStoragePools() async throws -> [StoragePoolEntry] { [] }
    public func listNetworks() async throws -> [NetworkEntry] { [] }
    /// Hypervisors without jobs (test fakes) have none running.
    public func jobProgress(_ domain: DomainRef) async throws -> JobProgress? { nil }

    public func vcpuInfo(_ domain: DomainRef, maximumVCPUs: Int?) async throws -> [VCPUInfo] {
        try await vcpuInfo(domain)
    }

    public func domainStats(_ domain: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue] {
        try await bulkStats([domain], groups: groups).first { $0.key.uuid == domain.uuid }?.value ?? [:]
    }

    public func setMemoryStatsPeriod(_ domain: DomainRef, seconds: Int) async throws {
        throw Unsupported(operation: "setting the memory statistics period")
    }
}

/// A hypervisor that cannot do what was asked.
public struct Unsupported: Error, CustomStringConvertible {
    public var operation: String
    public var description: String { "\(operation) is not supported by this hypervisor" }
}

/// A hypervisor call that did not return within its deadline; the call itself may still be running.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var operation: String
    public var timeout: Duration
    public var description: String { "\(operation) did not answer within \(timeout)" }
}
