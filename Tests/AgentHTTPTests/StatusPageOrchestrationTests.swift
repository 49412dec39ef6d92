import KVMCore
import Testing

@testable import AgentHTTP

/// A person at the host sees which orchestrator instance a domain is, beside libvirt's name for it.
@Suite struct StatusPageOrchestrationTests {
    @Test func orchestratedDomainsShowTheirInstanceEscaped() {
        var inventory = StatusPageTests.inventory(["instance-0000002a", "ovirt01", "plain"])
        for (uuid, entry) in inventory.domains {
            var config = entry.config ?? DomainConfig()
            switch entry.ref.name {
            case "instance-0000002a":
                var nova = DomainConfig.Orchestration(system: "nova")
                nova.instanceName = "web<1>"
                nova.project = "shop"
                nova.flavor = "m1.small"
                config.orchestration = nova
            case "ovirt01": config.orchestrator = "ovirt"
            default: continue
            }
            inventory.domains[uuid]?.config = config
        }
        let page = StatusPage(version: "1.0", telemetryPath: "/metrics").render(inventory, actions: [], now: 0)
        #expect(page.contains("<td>instance-0000002a<br><small>nova: web&lt;1&gt; (shop, m1.small)</small></td>"))
        #expect(page.contains("<td>ovirt01<br><small>ovirt</small></td>"))
        #expect(page.contains("<td>plain</td>"))
    }
}
