import Foundation
import KVMCore
import Testing

@testable import AgentHTTP

/// The status page at `/`: escaped, self-contained, built from the inventory.
@Suite struct StatusPageTests {
    static func inventory(_ names: [String]) -> Inventory {
        var inventory = Inventory()
        inventory.libvirtUp = true
        inventory.collectedSinceConnecting = true
        for (index, name) in names.enumerated() {
            let uuid = String(format: "00000000-0000-4000-8000-%012d", index)
            var entry = DomainEntry(ref: DomainRef(uuid: uuid, name: name), state: .running, reason: "booted")
            entry.vcpus = [VCPUInfo(number: 0, state: .running, cpuTimeSeconds: 12.5, physicalCPU: 3, affinity: [3])]
            inventory.domains[uuid] = entry
        }
        return inventory
    }

    @Test func namesAreEscapedAndNothingIsLoadedFromElsewhere() {
        let hostile = #"<img src=x onerror="alert(1)">&'"#
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(
            Self.inventory([hostile, "web01"]), actions: [], now: 0)
        #expect(!page.contains("<img"))
        #expect(page.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;"))
        #expect(!page.lowercased().contains("<script"))
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<link"))
        #expect(page.contains(#"<meta http-equiv="refresh""#))
        #expect(page.contains(#"<a href="/metrics">"#) && page.contains(#"<a href="/api/v1/actions">"#))
        #expect(page.contains("0: CPU 3, running, 12.5 s"))
        #expect(page.contains("2 of 2 running"))
    }

    /// vcpuinfo is read less often than the bulk call: each vCPU's state and time are the last pass's.
    @Test func vCPUStateAndTimeComeFromTheLastPass() {
        var inventory = Self.inventory(["web01"])
        let uuid = inventory.domains.keys.first!
        var stats = DomainStats()
        stats.vcpus[0] = VCPUCounters(timeSeconds: 20.25, state: .blocked)
        inventory.domains[uuid]?.stats = stats
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        #expect(page.contains("0: CPU 3, blocked, 20.2 s") || page.contains("0: CPU 3, blocked, 20.3 s"))
    }

    @Test func libvirtDownIsSaid() {
        var inventory = Self.inventory([])
        inventory.libvirtUp = false
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        #expect(page.contains("not connected"))
    }

    /// The page says which of the states the agent is in, in the same words as /readyz.
    @Test func eachConnectionStateIsSaidInWords() {
        func page(_ change: (inout Inventory) -> Void) -> String {
            var inventory = Self.inventory([])
            inventory.identity = HypervisorIdentity(
                libvirtVersion: "11.3.0", hypervisor: "QEMU", hypervisorVersion: "10.0.0", uri: "qemu:///system",
                hostCPUs: 4, hostMemoryBytes: 8_589_934_592, domainTypes: ["kvm"])
            change(&inventory)
            return StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        }
        let refused = page {
            $0.libvirtUp = false
            $0.connectionFailure = ConnectionFailure(
                kind: .permissionDenied, reason: "no polkit agent available to authenticate action 'x'",
                user: "kvm-agent")
        }
        #expect(refused.contains("refuses access (permission)"))
        #expect(refused.contains("no polkit agent available to authenticate action &#39;x&#39;"), "escaped")
        #expect(refused.contains("60-kvm-agent.rules") && refused.contains("adduser kvm-agent libvirt"))
        let down = page {
            $0.libvirtUp = false
            $0.connectionFailure = ConnectionFailure(kind: .unreachable, reason: "Connection refused", user: "u")
        }
        #expect(down.contains("<span class=bad>unreachable</span>, retrying: Connection refused"))
        let collecting = page { $0.collectedSinceConnecting = false }
        #expect(collecting.contains("connected</span> to qemu:///system, collecting"))
        let collected = page { _ in }
        #expect(collected.contains("connected</span> to qemu:///system</td>"))
    }
}
