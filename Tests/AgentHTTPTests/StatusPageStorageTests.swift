import KVMCore
import Testing

@testable import AgentHTTP

/// The status page's storage pools and networks: a nearly full pool is marked so a person sees it.
@Suite struct StatusPageStorageTests {
    static func page(_ pools: [StoragePoolEntry], _ networks: [NetworkEntry] = []) -> String {
        var inventory = StatusPageTests.inventory([])
        for pool in pools { inventory.storagePools[pool.uuid] = pool }
        for network in networks { inventory.networks[network.uuid] = network }
        return StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
    }

    @Test func aNearlyFullPoolIsMarked() throws {
        let backups = StoragePoolEntry(
            name: "backups<1>", uuid: "u1", state: .running, type: "dir", capacityBytes: 100 * 1_073_741_824,
            allocationBytes: 95 * 1_073_741_824, availableBytes: 5 * 1_073_741_824, volumes: 1)
        let images = StoragePoolEntry(
            name: "default", uuid: "u2", state: .running, type: "dir", capacityBytes: 500 * 1_073_741_824,
            allocationBytes: 120 * 1_073_741_824, availableBytes: 380 * 1_073_741_824, volumes: 3)
        let page = Self.page([backups, images])
        #expect(page.contains("2 pools, <span class=bad>1 nearly full</span>"))
        let row = try #require(page.split(separator: "\n").first { $0.contains("backups&lt;1&gt;") })
        #expect(row.contains("<span class=bad>5.0 GiB <small>(5 %)</small> nearly full</span>"), "\(row)")
        let healthy = try #require(page.split(separator: "\n").first { $0.contains("<td>default</td>") })
        #expect(!healthy.contains("nearly full") && healthy.contains("380.0 GiB <small>(76 %)</small>"), "\(healthy)")
    }

    @Test func noPoolNearlyFullSaysNothingOfIt() {
        let stopped = StoragePoolEntry(name: "iso", uuid: "u3", state: .inactive)
        let page = Self.page(
            [stopped], [NetworkEntry(name: "default", uuid: "n1", active: true, bridge: "virbr0", dhcpLeases: 4)])
        #expect(!page.contains("nearly full"))
        #expect(page.contains("<td>iso</td><td><span class=\"state shutoff\">inactive</span>"))
        #expect(page.contains("1 of 1 active"))
        #expect(page.contains("<td>default</td><td><span class=\"state running\">active</span></td><td>virbr0</td>"))
        #expect(page.contains("<td>4</td></tr>"))
    }
}
