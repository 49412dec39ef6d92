import KVMCore
import Testing

@testable import AgentHTTP

/// A guest file system nearly full is listed on the status page, where a person at the host looks first.
@Suite struct StatusPageGuestAgentTests {
    @Test func nearlyFullGuestFileSystemsAreListedAndOthersNot() {
        var inventory = StatusPageTests.inventory(["web01", "<db>"])
        var report = GuestAgentReport()
        report.fileSystems = [
            .init(mountPoint: "/", type: "ext4", device: "vda1", totalBytes: 20e9, usedBytes: 19e9),
            .init(mountPoint: "/boot", type: "ext4", device: "vda2", totalBytes: 1e9, usedBytes: 0.1e9),
            .init(mountPoint: "/srv/<x>", type: "xfs", device: "vdb", totalBytes: 100, usedBytes: nil),
        ]
        for uuid in inventory.domains.keys where inventory.domains[uuid]?.ref.name == "<db>" {
            inventory.domains[uuid]?.guest.channel = .connected
            inventory.domains[uuid]?.guest.report = report
        }
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        #expect(page.contains("Guest file systems nearly full"))
        #expect(page.contains("<td>&lt;db&gt;</td><td>/</td><td>ext4</td><td>95 %</td>"))
        #expect(!page.contains("<td>/boot</td>"), "10 % used is not nearly full")
        #expect(!page.contains("/srv/"), "no used figure, no claim")

        let calm = StatusPage(version: "1.0", telemetryPath: "/metrics").render(
            StatusPageTests.inventory(["web01"]), actions: [], now: 0)
        #expect(!calm.contains("Guest file systems"))
    }
}
