import Synchronization
import TestSupport

@testable import KVMCore

/// A `Hypervisor` held in memory. Each domain answers either full bulk records (as the qemu driver does)
/// or only the `state` group (as libvirt's test driver does), which makes the collector fall back to the
/// per-domain calls. Calls for a domain can be made to hang until the test releases them, and every call
/// is counted per method and domain.
final class FakeHypervisor: Hypervisor {
    enum Method: String, Sendable, CaseIterable {
        case listDomains, bulkStats, domainStats, basicInfo, blockStats, interfaceStats, vcpuInfo, config
        case setMemoryStatsPeriod
    }

    /// What a bulk (no-wait) call does about a hung domain among those it is asked for.
    enum BulkWhenHung: String, Sendable, CaseIterable {
        /// The whole call waits, as when libvirtd itself is stuck on the domain.
        case hangs
        /// The domain is left out of the answer, as libvirt does when its job is held.
        case skips
        /// The domain is answered without the figures that need its job (balloon details, block I/O).
        case answersWithoutJobFigures
    }

    struct FakeDomain: Sendable {
        var ref: DomainRef
        var state: DomainState
        var reasonCode: Int
        /// What `bulkStats` answers for this domain.
        var record: [String: StatValue]
        var basicInfo: DomainBasicInfo
        /// Per-device answers by target name; a target missing here throws, like an empty CD-ROM.
        var blocks: [String: BlockDeviceStats] = [:]
        var interfaces: [String: InterfaceDeviceStats] = [:]
        var vcpus: [VCPUInfo] = []
        var config = DomainConfig()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var domains: [String: FakeDomain] = [:]
        var hung: [String: Gate] = [:]
        var calls: [Method: [String: Int]] = [:]
        var waiting: [String: Int] = [:]
        var listingFails = false
        var bulkWhenHung = BulkWhenHung.hangs
        /// Taken by the next listing, which answers from the domains as they were when it was asked.
        var nextListingHold: Gate?
        var listingsHeld = 0
        var listingsInFlight = 0
        var mostListingsInFlight = 0
        /// Domain UUID to the groups of each bulk call that named it, in order.
        var bulkGroups: [String: [Set<StatsGroup>]] = [:]
    }

    /// Key under which calls that name no domain are counted.
    static let connectionWide = ""

    private let state = Mutex(State())

    init(_ domains: [FakeDomain] = []) {
        for domain in domains { add(domain) }
    }

    // MARK: Configuration

    func add(_ domain: FakeDomain) {
        state.withLock { $0.domains[domain.ref.uuid] = domain }
    }

    func remove(_ ref: DomainRef) {
        state.withLock { $0.domains[ref.uuid] = nil }
    }

    func modify(_ ref: DomainRef, _ body: (inout FakeDomain) -> Void) {
        state.withLock { state in
            guard var domain = state.domains[ref.uuid] else { return }
            body(&domain)
            state.domains[ref.uuid] = domain
        }
    }

    func setBulkWhenHung(_ behaviour: BulkWhenHung) {
        state.withLock { $0.bulkWhenHung = behaviour }
    }

    func setListingFails(_ fails: Bool) {
        state.withLock { $0.listingFails = fails }
    }

    /// The next listing takes its answer, then waits until the returned gate opens.
    func holdNextListing() -> Gate {
        let gate = Gate()
        state.withLock { $0.nextListingHold = gate }
        return gate
    }

    /// Every later call that concerns `ref` (a bulk call naming it included) waits until `release`.
    func hang(_ ref: DomainRef) {
        state.withLock { $0.hung[ref.uuid] = Gate() }
    }

    func release(_ ref: DomainRef) {
        state.withLock { $0.hung.removeValue(forKey: ref.uuid) }?.open()
    }

    // MARK: Observation

    func calls(_ method: Method, for ref: DomainRef) -> Int {
        state.withLock { $0.calls[method]?[ref.uuid] ?? 0 }
    }

    func calls(_ method: Method) -> Int {
        state.withLock { $0.calls[method]?.values.reduce(0, +) ?? 0 }
    }

    /// All calls that concerned `ref`, whatever the method.
    func allCalls(for ref: DomainRef) -> Int {
        state.withLock { state in state.calls.values.reduce(0) { $0 + ($1[ref.uuid] ?? 0) } }
    }

    var totalCalls: Int {
        state.withLock { state in state.calls.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
    }

    /// The statistics groups any bulk call asked for.
    var groupsAsked: Set<StatsGroup> {
        state.withLock { Set($0.bulkGroups.values.joined().joined()) }
    }

    /// Whether each bulk call that named `ref` asked for the `balloon` group, in order.
    func balloonAsked(_ ref: DomainRef) -> [Bool] {
        state.withLock { $0.bulkGroups[ref.uuid, default: []].map { $0.contains(.balloon) } }
    }

    /// Listings waiting on the gate of `holdNextListing`.
    var listingsHeld: Int { state.withLock { $0.listingsHeld } }

    /// The most listings that were running at one time.
    var mostListingsInFlight: Int { state.withLock { $0.mostListingsInFlight } }

    /// Calls concerning `ref` currently held by `hang`.
    func waiting(for ref: DomainRef) -> Int {
        state.withLock { $0.waiting[ref.uuid] ?? 0 }
    }

    // MARK: Hypervisor

    func listDomains() async throws -> [DomainSummary] {
        await enter(.listDomains, [])
        let (answer, hold) = state.withLock { state -> (Result<[DomainSummary], Failure>, Gate?) in
            state.listingsInFlight += 1
            state.mostListingsInFlight = max(state.mostListingsInFlight, state.listingsInFlight)
            let hold = state.nextListingHold.take()
            if hold != nil { state.listingsHeld += 1 }
            if state.listingFails { return (.failure(Failure(description: "listing failed")), hold) }
            let summaries = state.domains.values.map {
                DomainSummary(ref: $0.ref, state: $0.state, reasonCode: $0.reasonCode)
            }
            return (.success(summaries), hold)
        }
        if let hold {
            await hold.wait()
            state.withLock { $0.listingsHeld -= 1 }
        }
        state.withLock { $0.listingsInFlight -= 1 }
        return try answer.get()
    }

    func bulkStats(_ domains: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]] {
        let (behaviour, hung) = state.withLock { state in
            (state.bulkWhenHung, Set(domains.map(\.uuid).filter { state.hung[$0] != nil }))
        }
        await enter(.bulkStats, domains.map(\.uuid), waitingOnHung: behaviour == .hangs)
        state.withLock { state in
            for ref in domains { state.bulkGroups[ref.uuid, default: []].append(groups) }
        }
        return state.withLock { state in
            var records: [DomainRef: [String: StatValue]] = [:]
            for ref in domains {
                guard let domain = state.domains[ref.uuid] else { continue }
                let record = Self.only(groups, of: domain.record)
                switch (behaviour, hung.contains(ref.uuid)) {
                case (.skips, true): continue
                case (.answersWithoutJobFigures, true): records[domain.ref] = Self.withoutJobFigures(record)
                default: records[domain.ref] = record
                }
            }
            return records
        }
    }

    func domainStats(_ domain: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue] {
        try await answer(.domainStats, domain) { Self.only(groups, of: $0.record) }
    }

    /// The fields of the groups asked for, as libvirt answers: a group's fields start with its prefix.
    static func only(_ groups: Set<StatsGroup>, of record: [String: StatValue]) -> [String: StatValue] {
        let prefixes: [String: StatsGroup] = [
            "state": .state, "cpu": .cpuTotal, "balloon": .balloon, "vcpu": .vcpu, "net": .interface,
            "block": .block, "vm": .vm,
        ]
        return record.filter { key, _ in
            prefixes[String(key.prefix { $0 != "." })].map(groups.contains) ?? true
        }
    }

    func basicInfo(_ domain: DomainRef) async throws -> DomainBasicInfo {
        try await answer(.basicInfo, domain) { $0.basicInfo }
    }

    func blockStats(_ domain: DomainRef, device: String) async throws -> BlockDeviceStats {
        try await answer(.blockStats, domain) { $0.blocks[device] }
    }

    func interfaceStats(_ domain: DomainRef, device: String) async throws -> InterfaceDeviceStats {
        try await answer(.interfaceStats, domain) { $0.interfaces[device] }
    }

    /// Runs `body` at the start of every later vcpuinfo call, as an event that arrives while one is under way.
    func beforeVCPUInfo(_ body: @escaping @Sendable () -> Void) {
        vcpuInfoHook.withLock { $0 = body }
    }

    private let vcpuInfoHook = Mutex<@Sendable () -> Void>({})

    func vcpuInfo(_ domain: DomainRef) async throws -> [VCPUInfo] {
        vcpuInfoHook.withLock { $0 }()
        return try await answer(.vcpuInfo, domain) { $0.vcpus }
    }

    func config(_ domain: DomainRef) async throws -> DomainConfig {
        try await answer(.config, domain) { $0.config }
    }

    /// Changes the live definition, as libvirt does: the next `config` read shows the period.
    func setMemoryStatsPeriod(_ domain: DomainRef, seconds: Int) async throws {
        _ = try await answer(.setMemoryStatsPeriod, domain) { $0.config }
        modify(domain) { $0.config.memoryStatsPeriodSeconds = Double(seconds) }
    }

    // MARK: Internals

    /// Counts the call, then waits on the gates of any hung domain it concerns.
    private func enter(_ method: Method, _ uuids: [String], waitingOnHung: Bool = true) async {
        let gates = state.withLock { state -> [(String, Gate)] in
            for uuid in uuids.isEmpty ? [Self.connectionWide] : uuids {
                state.calls[method, default: [:]][uuid, default: 0] += 1
            }
            guard waitingOnHung else { return [] }
            let gates = uuids.compactMap { uuid in state.hung[uuid].map { (uuid, $0) } }
            for (uuid, _) in gates { state.waiting[uuid, default: 0] += 1 }
            return gates
        }
        for (uuid, gate) in gates {
            await gate.wait()
            state.withLock { $0.waiting[uuid, default: 0] -= 1 }
        }
    }

    private func answer<T>(_ method: Method, _ ref: DomainRef, _ pick: (FakeDomain) -> T?) async throws -> T {
        await enter(method, [ref.uuid])
        return try state.withLock { state in
            guard let domain = state.domains[ref.uuid] else { throw Failure(description: "no domain \(ref.name)") }
            guard let value = pick(domain) else { throw Failure(description: "\(method) unsupported for \(ref.name)") }
            return value
        }
    }

    /// What qemu reports without the domain's job: no balloon details from the guest, no block I/O.
    static func withoutJobFigures(_ record: [String: StatValue]) -> [String: StatValue] {
        record.filter { key, _ in
            if key.hasPrefix("balloon.") { return key == "balloon.current" || key == "balloon.maximum" }
            if key.hasPrefix("block.") {
                return key == "block.count" || key.hasSuffix(".name") || key.hasSuffix(".path")
            }
            return true
        }
    }

    static let identity = HypervisorIdentity(
        libvirtVersion: "10.0.0", hypervisor: "QEMU", hypervisorVersion: "8.2.2", uri: "qemu:///system",
        hostCPUs: 16, hostMemoryBytes: 68_719_476_736, domainTypes: ["kvm", "qemu"])
}
