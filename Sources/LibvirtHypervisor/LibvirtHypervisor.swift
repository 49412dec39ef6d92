import Foundation
import KVMCore
import Libvirt
import NIOPosix
import Synchronization

/// `Hypervisor` over a real libvirt connection. Every libvirt call runs on a dedicated thread pool, never
/// on Swift's cooperative pool, because libvirt calls block (sometimes for as long as a stuck qemu).
public final class LibvirtHypervisor: Hypervisor {
    public struct NotConnected: Error, CustomStringConvertible {
        public var description: String { "not connected to libvirt" }
    }

    private struct Session {
        var connection: Connection
        var hostCPUs: Int
        /// Handles from the last listing, so stats calls need no lookup round trip.
        var handles: [String: Domain] = [:]
    }

    private let pool: NIOThreadPool
    private let session = Mutex<Session?>(nil)

    /// `pool` must be started; its size bounds how many libvirt calls can be stuck at once.
    public init(pool: NIOThreadPool) {
        self.pool = pool
    }

    func install(_ connection: Connection, hostCPUs: Int) {
        session.withLock { $0 = Session(connection: connection, hostCPUs: hostCPUs) }
    }

    func uninstall() {
        session.withLock { $0 = nil }
    }

    public var connection: Connection? { session.withLock { $0?.connection } }

    private func current() throws -> Session {
        guard let session = session.withLock({ $0 }) else { throw NotConnected() }
        return session
    }

    /// Runs a blocking libvirt call on the pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    private func handle(_ ref: DomainRef) async throws -> Domain {
        let session = try current()
        if let domain = session.handles[ref.uuid] { return domain }
        return try await blocking { try session.connection.domain(uuid: ref.uuid) }
    }

    public func identity() async throws -> HypervisorIdentity {
        let connection = try current().connection
        return try await blocking { try Self.identity(of: connection) }
    }

    static func identity(of c: Connection) throws -> HypervisorIdentity {
        let node = try c.nodeInfo()
        return HypervisorIdentity(
            libvirtVersion: try c.libraryVersion(), hypervisor: try c.hypervisorType(),
            hypervisorVersion: try c.hypervisorVersion(), uri: c.uri, hostCPUs: Double(node.cpus),
            hostMemoryBytes: Double(node.memoryKiB) * 1024,
            domainTypes: Capabilities.domainTypes(xml: try c.capabilitiesXML()))
    }

    public func listDomains() async throws -> [DomainSummary] {
        let connection = try current().connection
        let (domains, summaries) = try await blocking { () -> ([Domain], [DomainSummary]) in
            let domains = try connection.allDomains()
            let records = try connection.stats(groups: .state, domains: domains)
            var byUUID = Dictionary(records.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
            let summaries = try domains.map { domain -> DomainSummary in
                let ref = DomainRef(uuid: domain.uuid, name: domain.name)
                if let record = byUUID.removeValue(forKey: domain.uuid),
                    case .int(let state)? = record.values["state.state"]
                {
                    let reason = record.values["state.reason"].flatMap { if case .int(let r) = $0 { Int(r) } else { nil } }
                    return DomainSummary(ref: ref, state: DomainState(code: Int(state)), reasonCode: reason ?? 0)
                }
                let state = try domain.state()
                return DomainSummary(ref: ref, state: DomainState(code: state.state), reasonCode: state.reason)
            }
            return (domains, summaries)
        }
        session.withLock { session in
            session?.handles = Dictionary(domains.map { ($0.uuid.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        }
        return summaries
    }

    public func bulkStats(_ refs: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]] {
        let connection = try current().connection
        var domains: [Domain] = []
        for ref in refs { domains.append(try await handle(ref)) }
        let wanted = Self.groups(groups)
        let records = try await blocking { [domains] in try connection.stats(groups: wanted, domains: domains) }
        return Dictionary(
            records.map { (DomainRef(uuid: $0.uuid, name: $0.name), $0.values.mapValues(StatValue.init)) },
            uniquingKeysWith: { a, _ in a })
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
            }
        }
    }

    public func basicInfo(_ ref: DomainRef) async throws -> DomainBasicInfo {
        let domain = try await handle(ref)
        let info = try await blocking { try domain.info() }
        return DomainBasicInfo(
            state: DomainState(code: info.state), memoryBytes: Double(info.memoryKiB) * 1024,
            memoryMaximumBytes: Double(info.maxMemoryKiB) * 1024, vcpus: info.vcpus,
            cpuTimeSeconds: Double(info.cpuTimeNanoseconds) * 1e-9)
    }

    public func blockStats(_ ref: DomainRef, device: String) async throws -> BlockDeviceStats {
        let domain = try await handle(ref)
        let (values, info) = try await blocking { (try domain.blockStats(device), try? domain.blockInfo(device)) }
        func number(_ key: String) -> Double? { values[key].map(StatValue.init)?.number }
        var stats = BlockDeviceStats(device: device)
        stats.readRequests = number("rd_operations")
        stats.readBytes = number("rd_bytes")
        stats.readSeconds = number("rd_total_times").map { $0 * 1e-9 }
        stats.writeRequests = number("wr_operations")
        stats.writeBytes = number("wr_bytes")
        stats.writeSeconds = number("wr_total_times").map { $0 * 1e-9 }
        stats.flushRequests = number("flush_operations")
        stats.flushSeconds = number("flush_total_times").map { $0 * 1e-9 }
        stats.capacityBytes = info.map { Double($0.capacity) }
        stats.allocationBytes = info.map { Double($0.allocation) }
        stats.physicalBytes = info.map { Double($0.physical) }
        return stats
    }

    public func interfaceStats(_ ref: DomainRef, device: String) async throws -> InterfaceDeviceStats {
        let domain = try await handle(ref)
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

    public func vcpuInfo(_ ref: DomainRef) async throws -> [VCPUInfo] {
        let hostCPUs = try current().hostCPUs
        let domain = try await handle(ref)
        let vcpus = try await blocking { try domain.vcpus(hostCPUs: hostCPUs) }
        return vcpus.map {
            VCPUInfo(
                number: $0.number, state: VCPUInfo.State(rawValue: $0.state) ?? .offline,
                cpuTimeSeconds: Double($0.cpuTimeNanoseconds) * 1e-9, physicalCPU: $0.physicalCPU, affinity: $0.affinity)
        }
    }

    public func config(_ ref: DomainRef) async throws -> DomainConfig {
        let domain = try await handle(ref)
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
