import Foundation
import KVMCore
import Testing

@testable import AgentHTTP

/// A running domain whose balloon has no statistics period is flagged where its memory is shown.
@Suite struct StatusPageMemoryTests {
    @Test func frozenGuestFiguresAreFlaggedOnRunningDomainsOnly() {
        var inventory = StatusPageTests.inventory(["frozen", "reporting", "noballoon", "stopped"])
        let periods: [String: Double?] = ["frozen": 0, "reporting": 10, "noballoon": nil, "stopped": 0]
        for (uuid, entry) in inventory.domains {
            var config = DomainConfig()
            config.memoryStatsPeriodSeconds = periods[entry.ref.name] ?? nil
            inventory.domains[uuid]?.config = config
            if entry.ref.name == "stopped" { inventory.domains[uuid]?.state = .shutoff }
        }
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        let rows = page.split(separator: "\n").filter { $0.hasPrefix("<tr><td>") }
        func row(_ name: String) -> String {
            rows.first { $0.hasPrefix("<tr><td>\(name)</td>") }.map(String.init) ?? ""
        }
        #expect(row("frozen").contains("balloon stats period 0"))
        for name in ["reporting", "noballoon", "stopped"] {
            #expect(!row(name).isEmpty && !row(name).contains("balloon stats period"), "\(name)")
        }
    }
}
