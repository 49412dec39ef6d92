import Foundation
import HummingbirdTesting
import Libvirt
import Testing

/// Storage pools and networks on the real libvirtd: the agent's figures are virsh's, and pool and network
/// events show on /metrics at once (the collector interval is far longer than the test).
extension RealLibvirtdTests {
    /// `virsh ARGS` on the real libvirtd; fails the test when virsh does.
    static func virsh(_ arguments: String...) throws -> String {
        let result = try run(try #require(which("virsh")), ["-c", RealLibvirtd.uri] + arguments)
        try #require(result.status == 0, "virsh \(arguments.joined(separator: " ")): \(result.output)")
        return result.output
    }

    /// `Key: value` lines of virsh's info commands.
    static func fields(_ output: String) -> [String: String] {
        Dictionary(
            output.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (
                    String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                    String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                )
            }, uniquingKeysWith: { a, _ in a })
    }

    static func names(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    @Test func poolsAndNetworksMatchVirshAndFollowEvents() async throws {
        let libvirt = try RealLibvirtd.connect()
        let networkName = "kvmagent-it-net-\(getpid())"
        let bridge = "kvmit\(getpid() % 100_000)"
        if let stale = try? libvirt.network(name: networkName) { try? stale.undefine() }
        defer {
            if let network = try? libvirt.network(name: networkName) {
                try? network.destroy()
                try? network.undefine()
            }
        }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            // A pass may be partial here (other guests on this libvirtd may not answer in time); pools and
            // networks are listed either way.
            let (first, collected) = try await client.scrape(
                until: { scrape in
                    ["success", "partial"].contains {
                        (scrape.value("kvm_agent_collections_total", ["result": $0]) ?? 0) >= 1
                    }
                }, within: .seconds(60))
            try #require(collected, "no pass finished")
            // Every network virsh lists, as virsh shows it.
            for name in try Self.names(Self.virsh("net-list", "--all", "--name")) {
                let info = Self.fields(try Self.virsh("net-info", name))
                let series = try #require(first.series("kvm_network_info").first { $0.labels["network"] == name })
                #expect(series.labels["bridge"] == info["Bridge"], "\(name)")
                #expect(series.labels["autostart"] == (info["Autostart"] == "yes" ? "true" : "false"), "\(name)")
                #expect(series.labels["persistent"] == (info["Persistent"] == "yes" ? "true" : "false"), "\(name)")
                #expect(first.value("kvm_network_active", ["network": name]) == (info["Active"] == "yes" ? 1 : 0))
            }
            #expect(
                Set(first.series("kvm_network_info").compactMap { $0.labels["network"] })
                    == (try Self.names(Self.virsh("net-list", "--all", "--name"))))

            // A pool defined and started while the agent watches appears at once, with virsh's figures.
            var started = ContinuousClock.now
            let temporary = try TemporaryPool(purpose: "pool", on: libvirt)
            defer { temporary.remove() }
            let name = temporary.name
            let (running, appeared) = try await client.scrape(until: {
                $0.value("kvm_storage_pool_state", ["pool": name, "state": "running"]) == 1
                    && $0.value("kvm_storage_pool_capacity_bytes", ["pool": name]) != nil
            })
            #expect(appeared, "the new pool is not on /metrics")
            print("kvm-agent: pool define+start visible on /metrics after \(ContinuousClock.now - started)")
            let info = Self.fields(try Self.virsh("pool-info", "--bytes", name))
            #expect(running.value("kvm_storage_pool_capacity_bytes", ["pool": name]) == Double(info["Capacity"] ?? ""))
            #expect(
                running.value("kvm_storage_pool_allocation_bytes", ["pool": name]) == Double(info["Allocation"] ?? ""))
            #expect(
                running.value("kvm_storage_pool_available_bytes", ["pool": name]) == Double(info["Available"] ?? ""))
            #expect(running.value("kvm_storage_pool_volumes", ["pool": name]) == 0)
            #expect(
                running.value(
                    "kvm_storage_pool_info",
                    ["pool": name, "type": "dir", "path": temporary.directory.path, "persistent": "true"]) == 1)
            // Every pool virsh lists is there.
            #expect(
                Set(running.series("kvm_storage_pool_info").compactMap { $0.labels["pool"] })
                    == (try Self.names(Self.virsh("pool-list", "--all", "--name"))))
            #expect(try promtoolProblems(running.text) == "")

            // A new volume shows after the pool's refresh event (creating a volume sends none).
            _ = try Self.virsh("vol-create-as", name, "disk.raw", "1M")
            _ = try Self.virsh("pool-refresh", name)
            let (_, refreshed) = try await client.scrape(until: {
                $0.value("kvm_storage_pool_volumes", ["pool": name]) == 1
            })
            #expect(refreshed, "the refresh event did not bring the volume count")

            started = ContinuousClock.now
            try libvirt.storagePool(name: name).destroy()
            let (_, stopped) = try await client.scrape(until: {
                $0.value("kvm_storage_pool_state", ["pool": name, "state": "inactive"]) == 1
                    && $0.value("kvm_storage_pool_available_bytes", ["pool": name]) == nil
            })
            #expect(stopped, "the stopped pool still shows running")
            print("kvm-agent: pool destroy visible on /metrics after \(ContinuousClock.now - started)")
            try libvirt.storagePool(name: name).undefine()
            let (_, gone) = try await client.scrape(until: { scrape in
                !scrape.series("kvm_storage_pool_info").contains { $0.labels["pool"] == name }
            })
            #expect(gone, "the undefined pool is still listed")

            // A network defined while the agent watches: inactive, with its bridge; started, with virsh's count
            // of DHCP leases (an isolated network with DHCP needs only dnsmasq); gone once undefined.
            let subnet = "10.233.\(20 + getpid() % 200)"
            let network = try libvirt.defineNetwork(
                xml: "<network><name>\(networkName)</name><bridge name='\(bridge)'/><ip address='\(subnet).1' "
                    + "netmask='255.255.255.0'><dhcp><range start='\(subnet).10' end='\(subnet).20'/></dhcp></ip>"
                    + "</network>")
            let (_, defined) = try await client.scrape(until: {
                $0.value("kvm_network_active", ["network": networkName]) == 0
                    && $0.value("kvm_network_info", ["network": networkName, "bridge": bridge]) == 1
            })
            #expect(defined, "the defined network is not on /metrics")
            try await offPool { try network.create() }
            defer { try? network.destroy() }
            let leases = try Self.virsh("net-dhcp-leases", networkName).split(separator: "\n").filter {
                $0.contains(subnet)
            }
            let (_, active) = try await client.scrape(until: {
                $0.value("kvm_network_active", ["network": networkName]) == 1
                    && $0.value("kvm_network_dhcp_leases", ["network": networkName]) == Double(leases.count)
            })
            #expect(active, "the started network or its \(leases.count) leases are not on /metrics")
            try network.destroy()
            let (_, inactive) = try await client.scrape(until: {
                $0.value("kvm_network_active", ["network": networkName]) == 0
                    && $0.value("kvm_network_dhcp_leases", ["network": networkName]) == nil
            })
            #expect(inactive, "the stopped network still shows active")
            try network.undefine()
            let (_, undefined) = try await client.scrape(until: { scrape in
                !scrape.series("kvm_network_info").contains { $0.labels["network"] == networkName }
            })
            #expect(undefined, "the undefined network is still listed")
        }
    }
}
