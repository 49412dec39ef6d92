import Foundation
import KVMCore
import Libvirt
import NIOPosix
import Synchronization

/// `Hypervisor` over real libvirt connections. Every libvirt call runs on a dedicated thread pool, never
/// on Swift's cooperative pool, because libvirt calls block (sometimes for as long as a stuck qemu).
///
/// Two connections: `control` for the listing, definitions and events, `stats` for everything that may
/// wait on a domain's qemu monitor. libvirtd serves at most `max_client_requests` (5) calls per connection
/// at once; calls stuck on a hung qemu fill those slots, and on a shared connection they held up the
/// listing of every other domain (measured: 29 s with 5 stuck calls on one connection, none on another).
public final class LibvirtHypervisor: Hypervisor {
    public struct NotConnected: Error, CustomStringConvertible {
        public var description: String { "not connected to libvirt" }
    }

    /// One pair of connections, from install to uninstall. Handles are cached per session, and a handle
    /// looked up on one session is cached only while that session is still the current one: a lookup that
    /// started before a reconnect must not leave a handle on the old connection in the new session's cache.
    struct Session {
        /// Tells sessions apart: a new one is installed after every reconnect.
        var generation: UInt64
        var control: Connection
        var stats: Connection
        var hostCPUs: Int
        /// Handles on the control connection from the last listing.
        var controlHandles: [String: Domain] = [:]
        /// Handles on the stats connection, looked up once per domain.
        var statsHandles: [String: Domain] = [:]
    }

    private struct Sessions {
        var current: Session?
        var installed: UInt64 = 0

        /// Runs `body` on the current session if it is still `generation`; does nothing otherwise.
        mutating func ifCurrent(_ generation: UInt64, _ body: (inout Session) -> Void) {
            guard var session = current, session.generation == generation else { return }
            body(&session)
            current = session
        }
    }

    private let pool: NIOThreadPool
    private let sessions = Mutex(Sessions())

    /// `pool` runs every libvirt call, once `ThreadPoolService` has started it; its size bounds how many
    /// libvirt calls can be stuck at once.
    public init(pool: NIOThreadPool) {
        self.pool = pool
    }

    func install(control: Connection, stats: Connection, hostCPUs: Int) {
        sessions.withLock { sessions in
            sessions.installed += 1
            sessions.current = Session(
                generation: sessions.installed, control: control, stats: stats, hostCPUs: hostCPUs)
        }
    }

    func uninstall() {
        sessions.withLock { $0.current = nil }
    }

    func current() throws -> Session {
        guard let session = sessions.withLock({ $0.current }) else { throw NotConnected() }
        return session
    }

    /// The current control connection, for tests that change a test-driver host through the agent's own
    /// connection (every test:// connection has its own copy of the host).
    var controlConnection: Connection? { sessions.withLock { $0.current?.control } }

    /// The current session's generation, nil while disconnected.
    var generation: UInt64? { sessions.withLock { $0.current?.generation } }

    /// Runs a blocking libvirt call on the pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// A handle on `session`'s stats connection.
    func handle(_ ref: DomainRef, in session: Session) async throws -> Domain {
        if let domain = session.statsHandles[ref.uuid] { return domain }
        let domain = try await blocking { try session.stats.domain(uuid: ref.uuid) }
        remember(statsHandle: domain, for: ref, lookedUpIn: session.generation)
        return domain
    }

    /// Caches a stats handle into the session it was looked up in, if that is still the current one.
    func remember(statsHandle domain: Domain, for ref: DomainRef, lookedUpIn generation: UInt64) {
        sessions.withLock { sessions in
            sessions.ifCurrent(generation) { session in
                guard domain.connection === session.stats else { return }
                session.statsHandles[ref.uuid] = domain
            }
        }
    }

    /// The cached stats handle for `ref`, for tests.
    func cachedStatsHandle(_ ref: DomainRef) -> Domain? {
        sessions.withLock { $0.current?.statsHandles[ref.uuid] }
    }

    private func controlHandle(_ ref: DomainRef) async throws -> Domain {
        let session = try current()
        if let domain = session.controlHandles[ref.uuid] { return domain }
        return try await blocking { try session.control.domain(uuid: ref.uuid) }
    }

    /// Node facts and versions, read once per connection by the supervisor.
    static func identity(of c: Connection) throws -> HypervisorIdentity {
        let node = try c.nodeInfo()
        return HypervisorIdentity(
            libvirtVersion: try c.libraryVersion(), hypervisor: try c.hypervisorType(),
            hypervisorVersion: try c.hypervisorVersion(), uri: c.uri, hostCPUs: Double(node.cpus),
            hostMemoryBytes: Double(node.memoryKiB) * 1024, domainTypes: try domainTypes(of: c))
    }

    /// kvm and qemu are offered when libvirt's domain capabilities for them answer (what `virt-install`
    /// checks); other types (the test driver's `test`) come from the capabilities' guest list.
    static func domainTypes(of c: Connection) throws -> Set<String> {
        var types = Capabilities.domainTypes(xml: try c.capabilitiesXML()).subtracting(["kvm", "qemu"])
        for type in ["kvm", "qemu"] where (try? c.domainCapabilitiesXML(virtualizationType: type)) != nil {
            types.insert(type)
        }
        return types
    }

    /// `virsh list --all`: every domain with its state, in one bulk `state` request over all domains (one
    /// round trip; no listing call before it). This runs on the control connection, which carries no call
    /// that can hang on a qemu monitor, so the request is never queued behind stuck calls; a record without
    /// a state is asked on its own.
    public func listDomains() async throws -> [DomainSummary] {
        let session = try current()
        let connection = session.control
        let known = session.controlHandles
        let (domains, summaries) = try await blocking { () -> ([Domain], [DomainSummary]) in
            let listed = try connection.allDomainsWithStats(groups: .state, reusing: known)
            var summaries: [DomainSummary] = []
            for (domain, record) in listed {
                let ref = DomainRef(uuid: domain.uuid, name: domain.name)
                if case .int(let state)? = record.values["state.state"] {
                    let reason: Int? = if case .int(let r)? = record.values["state.reason"] { Int(r) } else { nil }
                    summaries.append(
                        DomainSummary(ref: ref, state: DomainState(code: Int(state)), reasonCode: reason ?? 0))
                    continue
                }
                do {
                    let state = try domain.state()
                    summaries.append(
                        DomainSummary(ref: ref, state: DomainState(code: state.state), reasonCode: state.reason))
                } catch LibvirtError.Code.noDomain {
                    continue  // undefined between the two calls
                }
            }
            return (listed.map(\.0), summaries)
        }
        adopt(listed: domains, lookedUpIn: session.generation)
        return summaries
    }

    /// Makes a listing's handles the control handles of the session it was taken in, if that is still the
    /// current one, and forgets stats handles of domains that are gone.
    func adopt(listed domains: [Domain], lookedUpIn generation: UInt64) {
        let listed = Set(domains.map { $0.uuid.lowercased() })
        sessions.withLock { sessions in
            sessions.ifCurrent(generation) { session in
                let own = domains.filter { $0.connection === session.control }
                session.controlHandles = Dictionary(
                    own.map { ($0.uuid.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
                session.statsHandles = session.statsHandles.filter { listed.contains($0.key) }
            }
        }
    }

    public func bulkStats(_ refs: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]]
    {
        let session = try current()
        var domains: [Domain] = []
        for ref in refs { domains.append(try await handle(ref, in: session)) }
        let wanted = Self.groups(groups)
        let records = try await blocking { [domains] in try session.stats.stats(groups: wanted, domains: domains) }
        return Dictionary(
            records.map { (DomainRef(uuid: $0.uuid, name: $0.name), $0.values.mapValues(StatValue.init)) },
            uniquingKeysWith: { a, _ in a })
    }

    public func domainStats(_ ref: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue] {
        let session = try current()
        let domain = try await handle(ref, in: session)
        let wanted = Self.groups(groups)
        let records = try await blocking {
            try session.stats.stats(groups: wanted, domains: [domain], noWait: false)
        }
        return records.first?.values.mapValues(StatValue.init) ?? [:]
    }

    static func groups(_ groups: Set<StatsGroup>) -> Connection.StatsGroups {
        groups.reduce(into: Connection.StatsGroups()) { result, group in
            switch group {
            case .state: result.insert(.state)
            case .cpuTotal: result.insert(.cpuTotal)
            case .balloon: result.insert(.balloon)
            case .vcpu: result.insert(.vcpu)
            case .interface: result.insert(.interface)
            case .block: result.insert(.block)
            case .vm: result.insert(.vm)
            }
        }
    }

    public func basicInfo(_ ref: DomainRef) async throws -> DomainBasicInfo {
        let domain = try await handle(ref, in: try current())
        let info = try await blocking { try domain.info() }
        return DomainBasicInfo(
            state: DomainState(code: info.state), memoryBytes: Double(info.memoryKiB) * 1024,
            memoryMaximumBytes: Double(info.maxMemoryKiB) * 1024, vcpus: info.vcpus,
            cpuTimeSeconds: Double(info.cpuTimeNanoseconds) / 1e9)
    }

    public func blockStats(_ ref: DomainRef, device: String) async throws -> BlockDeviceStats {
        let domain = try await handle(ref, in: try current())
        let (values, info) = try await blocking { (try domain.blockStats(device), try? domain.blockInfo(device)) }
        func number(_ key: String) -> Double? { values[key].map(StatValue.init)?.number }
        var stats = BlockDeviceStats(device: device)
        stats.readRequests = number("rd_operations")
        stats.readBytes = number("rd_bytes")
        stats.readSeconds = number("rd_total_times").map { $0 / 1e9 }
        stats.writeRequests = number("wr_operations")
        stats.writeBytes = number("wr_bytes")
        stats.writeSeconds = number("wr_total_times").map { $0 / 1e9 }
        stats.flushRequests = number("flush_operations")
        stats.flushSeconds = number("flush_total_times").map { $0 / 1e9 }
        stats.capacityBytes = info.map { Double($0.capacity) }
        stats.allocationBytes = info.map { Double($0.allocation) }
        stats.physicalBytes = info.map { Double($0.physical) }
        return stats
    }

    public func interfaceStats(_ ref: DomainRef, device: String) async throws -> InterfaceDeviceStats {
        let domain = try await handle(ref, in: try current())
        let s = try await blocking { try domain.interfaceStats(device) }
        var stats = InterfaceDeviceStats(device: device)
        // libvirt reports -1 for a counter the driver does not have.
        func value(_ v: Int64) -> Double? { v < 0 ? nil : Double(v) }
        stats.receiveBytes = value(s.rxBytes)
        stats.receivePackets = value(s.rxPackets)
        stats.receiveErrors = value(s.rxErrors)
        stats.receiveDrops = value(s.rxDrops)
        stats.transmitBytes = value(s.txBytes)
        stats.transmitPackets = value(s.txPackets)
        stats.transmitErrors = value(s.txErrors)
        stats.transmitDrops = value(s.txDrops)
        return stats
    }

    /// On the control connection: `virDomainGetVcpus` reads /proc and needs no job, so it cannot hang on a
    /// monitor, and it stays clear of the stats connection's request slots when those are taken.
    public func vcpuInfo(_ ref: DomainRef) async throws -> [VCPUInfo] {
        try await vcpuInfo(ref, maximumVCPUs: nil)
    }

    public func vcpuInfo(_ ref: DomainRef, maximumVCPUs: Int?) async throws -> [VCPUInfo] {
        let hostCPUs = try current().hostCPUs
        let domain = try await controlHandle(ref)
        // libvirt answers for at most the domain's maximum vCPUs; a larger buffer only costs it work.
        let maximum = maximumVCPUs.map { min(max($0, 1), Self.vcpuBufferLimit) } ?? Self.vcpuBufferLimit
        let vcpus = try await blocking { try domain.vcpus(hostCPUs: hostCPUs, maximumVCPUs: maximum) }
        return vcpus.map {
            VCPUInfo(
                number: $0.number, state: VCPUInfo.State(rawValue: $0.state) ?? .offline,
                cpuTimeSeconds: Double($0.cpuTimeNanoseconds) / 1e9, physicalCPU: $0.physicalCPU, affinity: $0.affinity)
        }
    }

    /// The most vCPUs asked for when the domain's maximum is not known.
    static let vcpuBufferLimit = 1024

    public func setMemoryStatsPeriod(_ ref: DomainRef, seconds: Int) async throws {
        let domain = try await controlHandle(ref)
        try await blocking { try domain.setMemoryStatsPeriod(seconds: seconds) }
    }

    public func config(_ ref: DomainRef) async throws -> DomainConfig {
        let domain = try await controlHandle(ref)
        let (xml, persistent, autostart) = try await blocking {
            (try domain.xml(), try domain.isPersistent(), (try? domain.autostart()) ?? false)
        }
        return try DomainConfig(xml: xml, persistent: persistent, autostart: autostart)
    }
}

extension StatValue {
    init(_ value: TypedValue) {
        switch value {
        case .int(let v): self = .int(v)
        case .uint(let v): self = .uint(v)
        case .double(let v): self = .double(v)
        case .bool(let v): self = .bool(v)
        case .string(let v): self = .string(v)
        }
    }
}

extension LibvirtHypervisor {
    /// Runs `body` on a control-connection handle of the domain, on the libvirt thread pool: how the action
    /// module starts and stops domains without touching the stats connection's stuck calls.
    public func withDomain<T: Sendable>(
        _ ref: DomainRef, _ body: @escaping @Sendable (Domain) throws -> T
    ) async throws -> T {
        let domain = try await controlHandle(ref)
        return try await blocking { try body(domain) }
    }
}
