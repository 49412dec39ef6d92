import KVMCore
import Testing

/// `--no-collector.NAME` end to end on the demo host: the switched-off collectors' families are gone from
/// /metrics, their libvirt calls are not made, and everything else is still there.
@Suite struct CollectorFlagsTests {
    static let switchable = [
        "kvm_domain_block_read_bytes_total", "kvm_domain_interface_receive_bytes_total",
        "kvm_domain_vcpu_physical_cpu", "kvm_domain_vcpu_affinity_info", "kvm_storage_pool_info",
        "kvm_network_info",
    ]

    @Test func defaultCollectorsExportEverySwitchableFamily() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (scrape, ok) = try await client.scrape(until: DemoHostTests.ready)
            try #require(ok)
            for family in Self.switchable {
                #expect(!scrape.series(family).isEmpty, "\(family) missing with every collector on")
            }
        }
    }

    @Test func switchedOffCollectorsLeaveTheirFamiliesOut() async throws {
        let off: Set<CollectorGroup> = [.block, .interface, .vcpuinfo, .pools, .networks]
        try await withAgent(uri: Repo.demoURI, collectors: CollectorGroup.defaults.subtracting(off)) { client in
            let (scrape, ok) = try await client.scrape(until: DemoHostTests.ready)
            try #require(ok)
            for family in Self.switchable {
                #expect(scrape.series(family).isEmpty, "\(family) exported with its collector off")
            }
            for operation in ["vcpuinfo", "device_stats", "list_storage_pools", "list_networks"] {
                #expect(scrape.value("kvm_agent_libvirt_calls_total", ["operation": operation]) == nil, "\(operation)")
            }
            // What is always collected still is.
            #expect(scrape.state(of: "vm_centos7") == "running")
            #expect(scrape.value("kvm_domain_cpu_time_seconds_total", ["domain": "vm_centos7"]) != nil)
            #expect(scrape.value("kvm_domain_block_info", ["domain": "vm_centos7", "device": "vda"]) != nil)
            #expect(try promtoolProblems(scrape.text) == "")
        }
    }

    /// The flags as an operator types them reach the collector: the binary, not the in-process harness.
    @Test func flagsOnTheCommandLine() async throws {
        let agent = try await AgentProcess(
            policy: nil, uri: Repo.demoURI, extra: ["--no-collector.pools", "--no-collector.vcpuinfo"])
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: "vm_centos7")
        let scrape = try await agent.scrape { $0.value("kvm_network_info", ["network": "default"]) != nil }
        #expect(scrape.series("kvm_storage_pool_info").isEmpty)
        #expect(scrape.series("kvm_domain_vcpu_physical_cpu").isEmpty)
        #expect(!scrape.series("kvm_domain_block_read_bytes_total").isEmpty)
    }
}
