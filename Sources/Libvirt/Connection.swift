import CLibvirt
import Glibc
import Synchronization

/// A connection to a libvirt driver. libvirt connections are thread-safe (calls from several threads are
/// multiplexed over one socket), so this class can be shared; it holds the only reference to the C
/// handle and closes it exactly once, in `deinit`, after removing the callbacks it registered.
public final class Connection: @unchecked Sendable {
    let pointer: virConnectPtr
    public let uri: String
    private let eventCallbacks = Mutex<[Int32]>([])
    private let closeCallbackRegistered = Mutex(false)
    /// Storage pool and network callbacks, each removed through its own deregistration call.
    private let poolEventCallbacks = Mutex<[Int32]>([])
    private let networkEventCallbacks = Mutex<[Int32]>([])

    /// Opens `uri` read-write. `LibvirtEventLoop.start()` must have run first for events and keepalive.
    public init(uri: String) throws(LibvirtError) {
        guard let pointer = virConnectOpen(uri) else { throw LibvirtError.last("virConnectOpen(\(uri))") }
        self.pointer = pointer
        self.uri = uri
    }

    deinit {
        for id in eventCallbacks.withLock({ $0 }) {
            virConnectDomainEventDeregisterAny(pointer, id)
        }
        for id in poolEventCallbacks.withLock({ $0 }) { virConnectStoragePoolEventDeregisterAny(pointer, id) }
        for id in networkEventCallbacks.withLock({ $0 }) { virConnectNetworkEventDeregisterAny(pointer, id) }
        if closeCallbackRegistered.withLock({ $0 }) {
            virConnectUnregisterCloseCallback(pointer, closeTrampoline)
        }
        virConnectClose(pointer)
    }

    func rememberEventCallback(_ id: Int32) { eventCallbacks.withLock { $0.append(id) } }
    func rememberPoolEventCallback(_ id: Int32) { poolEventCallbacks.withLock { $0.append(id) } }
    func rememberNetworkEventCallback(_ id: Int32) { networkEventCallbacks.withLock { $0.append(id) } }
    func markCloseCallbackRegistered() { closeCallbackRegistered.withLock { $0 = true } }

    public var isAlive: Bool { virConnectIsAlive(pointer) == 1 }

    /// Probes the daemon every `interval` seconds and gives up after `count` unanswered probes.
    /// Local drivers (test://) have no keepalive; that is not an error.
    public func setKeepAlive(interval: Int32, count: UInt32) {
        if virConnectSetKeepAlive(pointer, interval, count) < 0 { virResetLastError() }
    }

    // MARK: Host

    public func libraryVersion() throws(LibvirtError) -> String {
        var version: UInt = 0
        _ = try check(virConnectGetLibVersion(pointer, &version), "virConnectGetLibVersion")
        return Self.formatVersion(version)
    }

    public func hypervisorType() throws(LibvirtError) -> String {
        guard let type = virConnectGetType(pointer) else { throw LibvirtError.last("virConnectGetType") }
        return String(cString: type)
    }

    public func hypervisorVersion() throws(LibvirtError) -> String {
        var version: UInt = 0
        _ = try check(virConnectGetVersion(pointer, &version), "virConnectGetVersion")
        return Self.formatVersion(version)
    }

    static func formatVersion(_ v: UInt) -> String { "\(v / 1_000_000).\(v / 1000 % 1000).\(v % 1000)" }

    public struct NodeInfo: Sendable, Equatable {
        public var cpus: Int
        public var memoryKiB: UInt64
        public var model: String
    }

    public func nodeInfo() throws(LibvirtError) -> NodeInfo {
        var info = virNodeInfo()
        _ = try check(virNodeGetInfo(pointer, &info), "virNodeGetInfo")
        let model = withUnsafeBytes(of: &info.model) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return NodeInfo(cpus: Int(info.cpus), memoryKiB: UInt64(info.memory), model: model)
    }

    /// CPUs present on the host, the size of vCPU affinity maps. Drivers without the call report node info's.
    public func hostCPUCount() throws(LibvirtError) -> Int {
        let count = virNodeGetCPUMap(pointer, nil, nil, 0)
        if count > 0 { return Int(count) }
        virResetLastError()
        return try nodeInfo().cpus
    }

    public func capabilitiesXML() throws(LibvirtError) -> String {
        guard let raw = virConnectGetCapabilities(pointer) else { throw LibvirtError.last("virConnectGetCapabilities") }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// What libvirt can run for guests of `virtualizationType` (kvm, qemu) on this host's architecture
    /// (`virsh domcapabilities --virttype`). Throws when it cannot run them at all.
    public func domainCapabilitiesXML(virtualizationType: String) throws(LibvirtError) -> String {
        guard let raw = virConnectGetDomainCapabilities(pointer, nil, nil, nil, virtualizationType, 0) else {
            throw LibvirtError.last("virConnectGetDomainCapabilities(\(virtualizationType))")
        }
        defer { free(raw) }
        return String(cString: raw)
    }

    // MARK: Domains

    /// Every domain, active and defined-only (`virsh list --all`).
    public func allDomains() throws(LibvirtError) -> [Domain] {
        var list: UnsafeMutablePointer<virDomainPtr?>? = nil
        let count = try check(virConnectListAllDomains(pointer, &list, 0), "virConnectListAllDomains")
        defer { free(list) }
        return (0..<Int(count)).compactMap { list?[$0].map { Domain(owning: $0, on: self) } }
    }

    public func domain(uuid: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainLookupByUUIDString(pointer, uuid) else {
            throw LibvirtError.last("virDomainLookupByUUIDString")
        }
        return Domain(owning: domain, on: self)
    }

    public func domain(name: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainLookupByName(pointer, name) else {
            throw LibvirtError.last("virDomainLookupByName")
        }
        return Domain(owning: domain, on: self)
    }

    public func define(xml: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainDefineXML(pointer, xml) else { throw LibvirtError.last("virDomainDefineXML") }
        return Domain(owning: domain, on: self)
    }

    /// The bulk statistics groups, as libvirt's `virDomainStatsTypes` bits.
    public struct StatsGroups: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let state = StatsGroups(rawValue: VIR_DOMAIN_STATS_STATE.rawValue)
        public static let cpuTotal = StatsGroups(rawValue: VIR_DOMAIN_STATS_CPU_TOTAL.rawValue)
        public static let balloon = StatsGroups(rawValue: VIR_DOMAIN_STATS_BALLOON.rawValue)
        public static let vcpu = StatsGroups(rawValue: VIR_DOMAIN_STATS_VCPU.rawValue)
        public static let interface = StatsGroups(rawValue: VIR_DOMAIN_STATS_INTERFACE.rawValue)
        public static let block = StatsGroups(rawValue: VIR_DOMAIN_STATS_BLOCK.rawValue)
        public static let vm = StatsGroups(rawValue: VIR_DOMAIN_STATS_VM.rawValue)
    }

    public struct StatsRecord: Sendable {
        public var name: String
        public var uuid: String
        public var values: [String: TypedValue]
    }

    /// Bulk statistics for all domains (`domains == nil`) or the given ones, in one call. With `noWait`,
    /// domains whose job lock is held are skipped instead of waited for. The given handles must be this
    /// connection's: libvirt sends the call over the first handle's connection, whatever `self` is.
    public func stats(
        groups: StatsGroups, domains: [Domain]? = nil, noWait: Bool = true
    ) throws(LibvirtError) -> [StatsRecord] {
        // virDomainListGetStats refuses an empty list ("doms array must contain at least one domain"), and a
        // host without guests is a normal host: no domains asked for, no records.
        if let domains, domains.isEmpty { return [] }
        if let stranger = domains?.first(where: { $0.connection !== self }) {
            throw LibvirtError(
                code: .invalidArgument, domain: 0,
                message: "domain \(stranger.name) is a handle on another connection than \(uri)",
                operation: "virDomainListGetStats")
        }
        return try withRecords(groups: groups, domains: domains, noWait: noWait) { record, dom in
            StatsRecord(
                name: Domain.nameString(dom), uuid: Domain.uuidString(dom),
                values: TypedValue.dictionary(record.params, count: record.nparams))
        }
    }

    /// Every domain, active and defined-only, with its bulk statistics and a handle: what `allDomains` and
    /// then `stats` give, in one round trip. A domain with a handle in `known` (by UUID, under the same name)
    /// keeps it; the others get one of their own. libvirt formats the UUID for a debug line in every
    /// `virDomainRef` and `virDomainFree`, logging on or not, so a new handle per domain and pass cost two
    /// formats each, a sixth of a collector pass's instructions at 100 guests (callgrind).
    public func allDomainsWithStats(
        groups: StatsGroups, noWait: Bool = true, reusing known: [String: Domain] = [:]
    ) throws(LibvirtError) -> [(Domain, StatsRecord)] {
        try withRecords(groups: groups, domains: nil, noWait: noWait) { record, dom in
            let name = Domain.nameString(dom)
            let uuid = Domain.uuidString(dom)
            let values = TypedValue.dictionary(record.params, count: record.nparams)
            if let domain = known[uuid], domain.uuid == uuid, domain.name == name, domain.connection === self {
                return (domain, StatsRecord(name: name, uuid: uuid, values: values))
            }
            // The record list releases its handles; this one keeps a reference of its own.
            guard virDomainRef(dom) == 0 else { return nil }
            return (
                Domain(owning: dom, on: self, name: name, uuid: uuid),
                StatsRecord(name: name, uuid: uuid, values: values)
            )
        }
    }

    private func withRecords<T>(
        groups: StatsGroups, domains: [Domain]?, noWait: Bool,
        _ body: (virDomainStatsRecord, virDomainPtr) -> T?
    ) throws(LibvirtError) -> [T] {
        var flags: UInt32 = 0
        if noWait { flags |= VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue }
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>? = nil
        let count: Int32
        if let domains {
            var handles: [virDomainPtr?] = domains.map(\.pointer) + [nil]
            count = try check(
                virDomainListGetStats(&handles, groups.rawValue, &records, flags), "virDomainListGetStats")
            withExtendedLifetime(domains) {}
        } else {
            count = try check(
                virConnectGetAllDomainStats(pointer, groups.rawValue, &records, flags), "virConnectGetAllDomainStats")
        }
        defer { virDomainStatsRecordListFree(records) }
        return (0..<Int(count)).compactMap { index in
            guard let record = records?[index]?.pointee, let dom = record.dom else { return nil }
            return body(record, dom)
        }
    }
}
