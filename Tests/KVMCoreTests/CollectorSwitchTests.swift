import Testing

@testable import KVMCore

/// `--no-collector.NAME`: a collector switched off costs no libvirt call, and its figures are absent.
@Suite struct CollectorSwitchTests {
    let bulk = Fixtures.running("bulk", 1)
    let fallback = Fixtures.stateOnly("fallback", 2)

    @Test func everyCollectorOnAsksForEverything() async throws {
        let h = CollectorHarness([bulk, fallback])
        #expect(await h.collectOnce() == .success)
        let calls = h.telemetry.hypervisorCalls
        #expect(calls["vcpuinfo"] == 2)
        #expect(calls["list_storage_pools"] == 1)
        #expect(calls["list_networks"] == 1)
        #expect(h.fake.groupsAsked.isSuperset(of: [.block, .interface]))
        // The driver that leaves groups out gets a call per device instead: a disk, a CD-ROM and a NIC.
        #expect(h.fake.calls(.blockStats, for: fallback.ref) == 2)
        #expect(h.fake.calls(.interfaceStats, for: fallback.ref) == 1)
        #expect(h.entry(bulk.ref)?.vcpus.isEmpty == false)
    }

    @Test func switchedOffCollectorsCostNoCall() async throws {
        let h = CollectorHarness([bulk, fallback]) { $0.collectors = [] }
        #expect(await h.collectOnce() == .success)
        let calls = h.telemetry.hypervisorCalls
        #expect(calls["vcpuinfo"] == nil)
        #expect(calls["list_storage_pools"] == nil)
        #expect(calls["list_networks"] == nil)
        #expect(h.fake.groupsAsked == StatsGroup.base)
        #expect(h.fake.calls(.blockStats) == 0)
        #expect(h.fake.calls(.interfaceStats) == 0)
        #expect(h.fake.calls(.vcpuInfo) == 0)

        // What is always collected still is: state, CPU, memory and the vCPU group's counters.
        let sampled = try #require(h.entry(bulk.ref)?.stats)
        #expect(sampled.cpuTimeSeconds != nil)
        #expect(!sampled.vcpus.isEmpty)
        #expect(sampled.blocks.isEmpty)
        #expect(sampled.interfaces.isEmpty)
        #expect(h.entry(bulk.ref)?.vcpus.isEmpty == true)
        #expect(h.entry(fallback.ref)?.stats?.memoryBytes != nil)
    }

    @Test func eachSwitchTakesOnlyItsOwnCalls() async throws {
        let h = CollectorHarness([bulk, fallback]) { $0.collectors = CollectorGroup.defaults.subtracting([.block]) }
        #expect(await h.collectOnce() == .success)
        #expect(!h.fake.groupsAsked.contains(.block))
        #expect(h.fake.groupsAsked.contains(.interface))
        #expect(h.fake.calls(.blockStats) == 0)
        #expect(h.fake.calls(.interfaceStats, for: fallback.ref) == 1)
        #expect(h.entry(bulk.ref)?.stats?.blocks.isEmpty == true)
        #expect(h.entry(bulk.ref)?.stats?.interfaces.isEmpty == false)
        #expect(h.telemetry.hypervisorCalls["vcpuinfo"] == 2)
    }

    @Test func switchedOffListingsLeavePoolsOrNetworksAbsent() async throws {
        let fake = StorageHypervisor(pools: [StoragePoolTests.images], networks: [StoragePoolTests.nat])
        let store = StoragePoolTests.connectedStore()
        let collector = Collector(
            hypervisor: fake, store: store,
            options: {
                var options = CollectorOptions(); options.collectors.remove(.pools); return options
            }())
        #expect(await collector.refreshStorage())
        #expect(fake.poolListings == 0)
        #expect(store.snapshot().storagePools.isEmpty)
        #expect(store.snapshot().networks.count == 1)
    }
}
