import CLibvirt
import KVMCore
import Libvirt
import Logging
import NIOPosix
import Testing

@testable import LibvirtHypervisor

/// Storage pools and networks through the safe layer and `LibvirtHypervisor`, on the demo host of libvirt's
/// test driver: pools default (3 GiB of volumes) and backups (95 GiB of 100), networks default (NAT, virbr0)
/// and host-bridge (br0).
@Suite struct StoragePoolNetworkTests {
    static let gib = 1_073_741_824.0

    @Test func poolsAnswerAsVirshShowsThem() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let pools = try connection.allStoragePools()
        #expect(Set(pools.map(\.name)) == ["default", "backups"])
        let backups = try connection.storagePool(name: "backups")
        #expect(backups.uuid == "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0101")
        let info = try backups.info()
        #expect(info.state == Int(VIR_STORAGE_POOL_RUNNING.rawValue))
        #expect(info.capacity == 100 << 30 && info.allocation == 95 << 30 && info.available == 5 << 30)
        #expect(try backups.volumeCount() == 1)
        #expect(try backups.isActive() && backups.isPersistent() && !backups.autostart())
        #expect(try backups.xml().contains("<path>/srv/backups</path>"))

        try backups.destroy()
        #expect(try backups.info().state == Int(VIR_STORAGE_POOL_INACTIVE.rawValue))
        let error = #expect(throws: LibvirtError.self) { try backups.volumeCount() }
        #expect(error?.code == .operationInvalid, "\(String(describing: error))")
        let missing = #expect(throws: LibvirtError.self) { try connection.storagePool(name: "nope") }
        #expect(missing?.code == .noStoragePool)
    }

    @Test func networksAnswerAsVirshShowsThem() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let networks = try connection.allNetworks()
        #expect(Set(networks.map(\.name)) == ["default", "host-bridge"])
        let nat = try connection.network(name: "default")
        #expect(nat.uuid == "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0200")
        #expect(try nat.isActive() && nat.isPersistent() && !nat.autostart())
        #expect(try nat.bridgeName() == "virbr0")
        #expect(try connection.network(name: "host-bridge").bridgeName() == "br0")
        // The test driver keeps no leases.
        let leases = #expect(throws: LibvirtError.self) { try nat.dhcpLeaseCount() }
        #expect(leases?.code == .noSupport)
        let missing = #expect(throws: LibvirtError.self) { try connection.network(name: "nope") }
        #expect(missing?.code == .noNetwork)
    }

    @Test func theHypervisorListsPoolsAndNetworks() async throws {
        let (hypervisor, connection, pool) = try TestHosts.hypervisor(on: TestHosts.demoURI)
        defer { pool.shutdownGracefully { _ in } }
        let pools = Dictionary(uniqueKeysWithValues: try await hypervisor.listStoragePools().map { ($0.name, $0) })
        #expect(
            pools["backups"]
                == StoragePoolEntry(
                    name: "backups", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0101", state: .running, type: "dir",
                    path: "/srv/backups", autostart: false, persistent: true, capacityBytes: 100 * Self.gib,
                    allocationBytes: 95 * Self.gib, availableBytes: 5 * Self.gib, volumes: 1))
        #expect(pools["default"]?.volumes == 1 && pools["default"]?.path == "/var/lib/libvirt/images")

        try connection.storagePool(name: "backups").destroy()
        let stopped = try #require(try await hypervisor.listStoragePools().first { $0.name == "backups" })
        #expect(stopped.state == .inactive)
        #expect(stopped.capacityBytes == nil && stopped.volumes == nil, "no zeros for a pool that does not run")

        let networks = Dictionary(uniqueKeysWithValues: try await hypervisor.listNetworks().map { ($0.name, $0) })
        #expect(
            networks["default"]
                == NetworkEntry(
                    name: "default", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0200", active: true, autostart: false,
                    persistent: true, bridge: "virbr0", dhcpLeases: nil))
        #expect(networks["host-bridge"]?.bridge == "br0")
    }

    @Test func poolAndNetworkEventsArriveThroughTheCallbacks() async throws {
        try LibvirtEventLoop.start()
        let connection = try Connection(uri: TestHosts.demoURI)
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        try connection.onStoragePoolEvent { info in
            switch info.kind {
            case .lifecycle(let event, _): sink.yield("pool \(info.name) \(event)")
            case .refresh: sink.yield("pool \(info.name) refresh")
            }
        }
        try connection.onNetworkEvent { sink.yield("network \($0.name) \($0.event)") }
        let deadline = Task {
            try await Task.sleep(for: .seconds(10))
            sink.finish()
        }
        defer { deadline.cancel() }
        let backups = try connection.storagePool(name: "backups")
        try backups.refresh()
        try backups.destroy()
        try connection.network(name: "host-bridge").destroy()
        var seen: [String] = []
        for await event in events {
            seen.append(event)
            if seen.count == 3 { break }
        }
        // virStoragePoolEventLifecycleType 3 stopped; virNetworkEventLifecycleType 3 stopped.
        #expect(seen == ["pool backups refresh", "pool backups 3", "network host-bridge 3"])
    }
}

/// The supervisor registers the pool and network callbacks in `open`, which every (re)connection goes
/// through, and hands the events on as the core's types.
@Suite struct SupervisorStorageEventTests {
    @Test func everyConnectionGetsThePoolAndNetworkCallbacks() async throws {
        try LibvirtEventLoop.start()
        let threads = NIOThreadPool(numberOfThreads: 2)
        threads.start()
        defer { threads.shutdownGracefully { _ in } }
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        var hooks = ConnectionSupervisor.Hooks(lifecycleEvent: { _ in }, connected: { _ in }, disconnected: { _ in })
        hooks.storagePoolEvent = { sink.yield("pool \($0.name) \($0.kind.map { "\($0)" } ?? "?")") }
        hooks.networkEvent = { sink.yield("network \($0.name) \($0.kind.map { "\($0)" } ?? "?")") }
        let supervisor = ConnectionSupervisor(
            uri: TestHosts.demoURI, hypervisor: LibvirtHypervisor(pool: threads), store: InventoryStore(), hooks: hooks,
            logger: Logger(label: "kvm-agent.test"))
        let deadline = Task {
            try await Task.sleep(for: .seconds(20))
            sink.finish()
        }
        defer { deadline.cancel() }
        var iterator = events.makeAsyncIterator()
        for attempt in 1...2 {
            let opened = try await supervisor.open(closed: Wakeup())
            try opened.control.storagePool(name: "backups").destroy()
            try opened.control.network(name: "default").destroy()
            let first = await iterator.next()
            let second = await iterator.next()
            #expect(
                [first, second] == ["pool backups stopped", "network default stopped"], "connection \(attempt)")
        }
    }
}
