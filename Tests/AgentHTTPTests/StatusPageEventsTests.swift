import KVMCore
import Testing

@testable import AgentHTTP

/// The status page's disk-error and job sections: present only when there is something to say, escaped.
@Suite struct StatusPageEventsTests {
    let page = StatusPage(version: "1.0", telemetryPath: "/metrics")

    @Test func aGuestPausedByAFullDiskIsShownWithItsDeviceAndReason() throws {
        var inventory = StatusPageTests.inventory(["db", "web"])
        #expect(!page.render(inventory, actions: [], now: 0).contains("Disk I/O errors"), "nothing to say yet")
        let uuid = try #require(inventory.domains.values.first { $0.ref.name == "db" }?.ref.uuid)
        inventory.domains[uuid]?.state = .paused
        inventory.domains[uuid]?.reason = "ioerror"
        let key = IOErrorKey(device: "<vdb>", reason: "enospc", action: "pause")
        inventory.domains[uuid]?.disk.ioErrors[key] = 3
        inventory.domains[uuid]?.disk.lastIOError = LastIOError(key: key, sourcePath: "/srv/a&b.img", time: 40)
        inventory.domains[uuid]?.jobs.current = {
            var job = JobProgress(type: .unbounded, operation: .migrationOut)
            job.dataProcessedBytes = 1_048_576
            return job
        }()
        let html = page.render(inventory, actions: [], now: 100)
        #expect(html.contains("Disk I/O errors <small>1 domains</small>"))
        #expect(html.contains("paused by the I/O error"))
        #expect(html.contains("&lt;vdb&gt;: 3 × enospc, pause"))
        #expect(html.contains("/srv/a&amp;b.img"))
        #expect(!html.contains("<vdb>"))
        #expect(html.contains("<td>db</td><td>migration_out</td>"), "a running job is listed")
    }
}
