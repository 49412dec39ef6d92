import Foundation
import Logging
import TestSupport
import Testing

@testable import KVMCore

/// Storage pools and networks: their rendering, their definition XML, and how events and the collector keep
/// them current.
@Suite struct StoragePoolTests {
    static let images = StoragePoolEntry(
        name: "default", uuid: "6A0B7E5C-1F7D-4C52-9A0E-3C1D2B7E0100", state: .running, type: "dir",
        path: "/var/lib/libvirt/images", autostart: true, persistent: true, capacityBytes: 500e9,
        allocationBytes: 120e9, availableBytes: 380e9, volumes: 3)
    static let backups = StoragePoolEntry(
        name: "backups", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0101", state: .running, type: "dir",
        path: "/srv/backups", capacityBytes: 100e9, allocationBytes: 95e9, availableBytes: 5e9, volumes: 1)
    static let nat = NetworkEntry(
        name: "default", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0200", active: true, autostart: true, bridge: "virbr0",
        dhcpLeases: 2)

    static func connectedStore() -> InventoryStore {
        let store = InventoryStore()
        store.connected(FakeHypervisor.identity)
        return store
    }

    static func collector(_ hypervisor: StorageHypervisor, _ store: InventoryStore) -> Collector {
        var logger = Logger(label: "kvm-agent.storage.test")
        logger.logLevel = .critical
        return Collector(
            hypervisor: hypervisor, store: store,
            options: CollectorOptions(interval: .seconds(3600), timeout: .milliseconds(500), concurrency: 2),
            logger: logger)
    }

    @Test func poolsAndNetworksRenderWithHelpAndOneSeriesPerState() throws {
        var inventory = Fixtures.inventory([])
        var stopped = StoragePoolEntry(name: "iso", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0102", state: .inactive)
        stopped.type = "netfs"
        for pool in [Self.images, Self.backups, stopped] { inventory.storagePools[pool.uuid] = pool }
        let isolated = NetworkEntry(name: "isolated", uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0201", active: false)
        for network in [Self.nat, isolated] { inventory.networks[network.uuid] = network }
        let parsed = ParsedExposition(InventoryRenderer().render(inventory).text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")

        #expect(
            parsed.value(
                "kvm_storage_pool_info",
                [
                    "pool": "default", "uuid": "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0100", "type": "dir",
                    "path": "/var/lib/libvirt/images", "autostart": "true", "persistent": "true",
                ]) == "1")
        let states = parsed.samples("kvm_storage_pool_state").filter { $0.labels["pool"] == "iso" }
        #expect(Set(states.map { $0.labels["state"]! }) == Set(StoragePoolState.allCases.map(\.name)))
        #expect(states.filter { $0.value == "1" }.map { $0.labels["state"] } == ["inactive"])
        #expect(parsed.value("kvm_storage_pool_capacity_bytes", ["pool": "backups"]) == "100000000000")
        #expect(parsed.value("kvm_storage_pool_allocation_bytes", ["pool": "backups"]) == "95000000000")
        #expect(parsed.value("kvm_storage_pool_available_bytes", ["pool": "backups"]) == "5000000000")
        #expect(parsed.value("kvm_storage_pool_volumes", ["pool": "default"]) == "3")
        // An inactive pool has no figures: libvirt's zeros would read as a full pool.
        #expect(parsed.value("kvm_storage_pool_available_bytes", ["pool": "iso"]) == nil)
        // Series in name order.
        #expect(parsed.samples("kvm_storage_pool_info").map { $0.labels["pool"]! } == ["backups", "default", "iso"])

        #expect(
            parsed.value(
                "kvm_network_info",
                [
                    "network": "default", "bridge": "virbr0", "autostart": "true", "persistent": "true",
                    "uuid": "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0200",
                ]) == "1")
        #expect(parsed.value("kvm_network_active", ["network": "default"]) == "1")
        #expect(parsed.value("kvm_network_active", ["network": "isolated"]) == "0")
        #expect(parsed.value("kvm_network_dhcp_leases", ["network": "default"]) == "2")
        #expect(parsed.value("kvm_network_dhcp_leases", ["network": "isolated"]) == nil)
        for family in parsed.families
        where family.name.hasPrefix("kvm_storage_") || family.name.hasPrefix("kvm_network_") {
            #expect(!family.help.isEmpty && family.type == "gauge", "\(family.name)")
        }
    }

    @Test func nothingWhileLibvirtIsDown() {
        var inventory = Fixtures.inventory([])
        inventory.storagePools[Self.images.uuid] = Self.images
        inventory.libvirtUp = false
        #expect(!InventoryRenderer().render(inventory).text.contains("kvm_storage_pool"))
    }

    @Test func definitionGivesTypeAndPath() throws {
        let xml = """
            <pool type='netfs'><name>iso</name><source><host name='nas'/><dir path='/iso'/></source>
            <target><path>/mnt/iso</path></target></pool>
            """
        let definition = try StoragePoolEntry.definition(xml: xml)
        #expect(definition.type == "netfs")
        #expect(definition.path == "/mnt/iso")
        #expect(try StoragePoolEntry.definition(xml: "<pool type='rbd'><name>ceph</name></pool>").path == "")
        #expect(throws: DomainConfig.ParseError.self) { try StoragePoolEntry.definition(xml: "") }
        #expect(throws: DomainConfig.ParseError.self) { try StoragePoolEntry.definition(xml: "<domain/>") }
    }

    @Test func nearlyFullBelowTenPercentAvailable() {
        #expect(Self.backups.isNearlyFull)
        #expect(!Self.images.isNearlyFull)
        var empty = Self.backups
        empty.capacityBytes = 0
        #expect(empty.availableRatio == nil && !empty.isNearlyFull)
        #expect(!StoragePoolEntry(name: "x", uuid: "u", state: .inactive).isNearlyFull)
    }

    @Test func eventsChangeTheInventoryAtOnce() {
        let store = Self.connectedStore()
        store.applyStoragePools([Self.images], ticket: store.beginStorageListing())
        let uuid = Self.images.uuid.lowercased()
        store.applyStoragePoolEvent(StoragePoolEvent(name: "default", uuid: uuid, kind: .stopped))
        var pool = store.snapshot().storagePools[uuid]
        #expect(pool?.state == .inactive)
        #expect(pool?.availableBytes == nil && pool?.volumes == nil)
        store.applyStoragePoolEvent(StoragePoolEvent(name: "default", uuid: uuid, kind: .started))
        #expect(store.snapshot().storagePools[uuid]?.state == .running)
        // A running pool that is undefined stays, transient, and goes when it stops.
        store.applyStoragePoolEvent(StoragePoolEvent(name: "default", uuid: uuid, kind: .undefined))
        pool = store.snapshot().storagePools[uuid]
        #expect(pool?.persistent == false)
        store.applyStoragePoolEvent(StoragePoolEvent(name: "default", uuid: uuid, kind: .stopped))
        #expect(store.snapshot().storagePools[uuid] == nil)
        // A new definition appears inactive until started.
        store.applyStoragePoolEvent(StoragePoolEvent(name: "new", uuid: "NEW-UUID", kind: .defined))
        #expect(store.snapshot().storagePools["new-uuid"]?.state == .inactive)

        store.applyNetworks([Self.nat], ticket: store.beginStorageListing())
        store.applyNetworkEvent(NetworkEvent(name: "default", uuid: Self.nat.uuid, kind: .stopped))
        #expect(store.snapshot().networks[Self.nat.uuid]?.active == false)
        #expect(store.snapshot().networks[Self.nat.uuid]?.dhcpLeases == nil)
        store.applyNetworkEvent(NetworkEvent(name: "default", uuid: Self.nat.uuid, kind: .undefined))
        #expect(store.snapshot().networks[Self.nat.uuid] == nil)
    }

    /// The collector's interval is an hour: the new pool's sizes, which no event carries, can only come from
    /// the listing the event asked for.
    @Test func anEventBringsAFreshListingWithoutWaitingForTheInterval() async throws {
        let hypervisor = StorageHypervisor(pools: [Self.images], networks: [Self.nat])
        let store = Self.connectedStore()
        let collector = Self.collector(hypervisor, store)
        let loop = Task { await collector.run() }
        defer { loop.cancel() }
        #expect(
            await eventually(within: .seconds(30)) {
                store.snapshot().storagePools.count == 1 && store.snapshot().networks.count == 1
            })

        hypervisor.setPools([Self.images, Self.backups])
        store.applyStoragePoolEvent(StoragePoolEvent(name: "backups", uuid: Self.backups.uuid, kind: .defined))
        collector.requestStorageRefresh()
        #expect(
            await eventually(within: .seconds(30)) {
                store.snapshot().storagePools[Self.backups.uuid]?.availableBytes == 5e9
            })
        var stopped = Self.nat
        stopped.active = false
        hypervisor.setNetworks([stopped])
        collector.requestStorageRefresh()
        #expect(await eventually(within: .seconds(30)) { store.snapshot().networks[Self.nat.uuid]?.active == false })
    }

    /// A listing taken before an event must not undo it; the listing the event asked for is applied.
    @Test func aListingBegunBeforeAnEventDoesNotUndoIt() async throws {
        let hypervisor = StorageHypervisor(pools: [Self.images])
        let store = Self.connectedStore()
        let collector = Self.collector(hypervisor, store)
        #expect(await collector.refreshStorage())
        let hold = hypervisor.holdNextPoolListing()
        let stale = Task { await collector.refreshStorage() }
        #expect(await eventually(within: .seconds(5)) { hypervisor.poolListingsHeld == 1 })
        // The pool stops while the listing, which saw it running, is on its way back.
        var inactive = Self.images
        inactive.state = .inactive
        inactive.capacityBytes = nil
        inactive.allocationBytes = nil
        inactive.availableBytes = nil
        inactive.volumes = nil
        hypervisor.setPools([inactive])
        store.applyStoragePoolEvent(StoragePoolEvent(name: "default", uuid: Self.images.uuid, kind: .stopped))
        hold.open()
        _ = await stale.value
        #expect(store.snapshot().storagePools[Self.images.uuid]?.state == .inactive)
        #expect(await collector.refreshStorage())
        #expect(store.snapshot().storagePools[Self.images.uuid] == inactive)
    }

    /// A failed listing makes the pass partial and keeps the last pools; the next one that works replaces them.
    @Test func aFailedListingMakesThePassPartial() async throws {
        let hypervisor = StorageHypervisor(pools: [Self.images])
        let store = Self.connectedStore()
        let collector = Self.collector(hypervisor, store)
        #expect(await collector.collectOnce() == .success)
        hypervisor.setPoolsFail(true)
        #expect(await collector.collectOnce() == .partial)
        #expect(store.snapshot().storagePools.count == 1)
        hypervisor.setPoolsFail(false)
        hypervisor.setPools([])
        #expect(await collector.collectOnce() == .success)
        #expect(store.snapshot().storagePools.isEmpty)
    }

    @Test func disconnectingForgetsPoolsAndNetworks() {
        let store = Self.connectedStore()
        let ticket = store.beginStorageListing()
        store.applyStoragePools([Self.images], ticket: ticket)
        store.applyNetworks([Self.nat], ticket: ticket)
        store.disconnected()
        #expect(store.snapshot().storagePools.isEmpty && store.snapshot().networks.isEmpty)
        // A listing that returns after the loss is not applied either.
        #expect(!store.applyStoragePools([Self.images], ticket: store.beginStorageListing()))
    }
}
