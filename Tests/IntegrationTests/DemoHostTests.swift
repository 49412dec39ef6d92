import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The whole agent against the built-in demo host (libvirt's test driver): no daemon needed.
@Suite struct DemoHostTests {
    /// One full collector pass after connecting: listing, definitions and counters are all in.
    static let ready: @Sendable (Scrape) -> Bool = {
        $0.value("kvm_libvirt_up") == 1 && ($0.value("kvm_agent_collections_total", ["result": "success"]) ?? 0) >= 1
    }

    @Test func exportsEveryDomainRunningOrNot() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (scrape, ok) = try await client.scrape(until: Self.ready)
            try #require(ok, "demo host not collected:\n\(scrape.text.prefix(2000))")
            #expect(scrape.state(of: "vm_centos7") == "running")
            #expect(scrape.state(of: "build01") == "paused")
            #expect(scrape.state(of: "backup01") == "shutoff")
            #expect(scrape.state(of: "win2019") == "shutoff")
            #expect(scrape.state(of: "legacy01") == "crashed")
            #expect(scrape.series("kvm_domain_state").count == 7 * 8)
            let centos = try #require(scrape.series("kvm_domain_info").first { $0.labels["domain"] == "vm_centos7" })
            #expect(centos.labels["os_variant"] == "http://centos.org/centos/7.0")
            #expect(centos.labels["persistent"] == "true")
            #expect(scrape.value("kvm_domain_vcpus", ["domain": "vm_centos7"]) == 2)
            // One domain is a nova instance: its orchestrator's names, on one series of its own.
            #expect(
                scrape.series("kvm_domain_orchestrator_info").map(\.labels) == [
                    [
                        "domain": "win2019", "orchestrator": "nova", "instance_name": "ad-dc-2", "project": "infra",
                        "project_id": "2b7e6f1a9c3d4e5f8a0b1c2d3e4f5a6b", "user": "ops", "flavor": "w1.large",
                    ]
                ])
            #expect(scrape.value("kvm_domain_memory_maximum_bytes", ["domain": "vm_centos7"]) == Double(1 << 30))
            #expect(
                scrape.value("kvm_domain_block_info", ["domain": "vm_centos7", "device": "vda", "bus": "virtio"]) == 1)
            #expect(
                scrape.value("kvm_domain_interface_info", ["domain": "vm_centos7", "bridge": "br0", "model": "virtio"])
                    == 1)
            // The test driver's bulk stats lack these groups: they come from the per-domain fallback.
            #expect(scrape.value("kvm_domain_cpu_time_seconds_total", ["domain": "vm_centos7"]) != nil)
            #expect(
                scrape.value("kvm_domain_block_read_bytes_total", ["domain": "vm_centos7", "device": "vda"]) != nil)
            #expect(scrape.value("kvm_domain_interface_receive_bytes_total", ["domain": "vm_centos7"]) != nil)
            #expect(scrape.series("kvm_domain_vcpu_physical_cpu").contains { $0.labels["domain"] == "vm_centos7" })
            #expect(
                scrape.value("kvm_domain_vcpu_affinity_info", ["domain": "vm_centos7", "vcpu": "0", "cpus": "0-7"]) == 1
            )
            // A shut-off domain: sizes from its definition, no sampled counters.
            #expect(scrape.value("kvm_domain_vcpus", ["domain": "backup01"]) != nil)
            #expect(scrape.value("kvm_domain_cpu_time_seconds_total", ["domain": "backup01"]) == nil)
            #expect(scrape.value("kvm_host_cpus") == 8)
            #expect(scrape.value("kvm_host_memory_bytes") == Double(32 << 30))
            #expect(scrape.value("kvm_host_domain_type_supported", ["type": "test"]) == 1)
        }
    }

    @Test func outputPassesPromtool() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (scrape, ok) = try await client.scrape(until: Self.ready)
            try #require(ok)
            #expect(try promtoolProblems(scrape.text) == "")
            for family in Set(scrape.samples.map(\.name)) {
                #expect(family.hasPrefix("kvm_") || family.hasPrefix("process_"), "unexpected family \(family)")
            }
            #expect(scrape.samples.allSatisfy { $0.labels["host"] == nil })
        }
    }

    @Test func servesTheTextFormatAndGzip() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(response.headers[.contentEncoding] == nil)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip, deflate"]) {
                response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(Array(response.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            }
        }
    }

    @Test func landingHealthAndReadiness() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            // Ready once a pass has finished since connecting, not as soon as libvirt answers.
            _ = try await client.scrape(until: {
                $0.value("kvm_agent_libvirt_connection_state", ["state": "connected"]) == 1
            })
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/metrics\""))
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func unreachableLibvirtIsReportedNotFatal() async throws {
        try await withAgent(uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock") { client in
            let (scrape, unreachable) = try await client.scrape(until: {
                $0.value("kvm_agent_libvirt_connection_state", ["state": "unreachable"]) == 1
            })
            #expect(unreachable, "\(scrape.series("kvm_agent_libvirt_connection_state"))")
            #expect(scrape.value("kvm_libvirt_up") == 0)
            #expect(scrape.series("kvm_domain_info").isEmpty)
            #expect(scrape.value("kvm_agent_build_info", ["version": "0.1.0"]) == 1)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(
                    String(buffer: response.body)
                        == "libvirt unreachable, retrying: Failed to connect socket to '/nonexistent/libvirt-sock': "
                        + "No such file or directory\n")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    /// A socket that accepts connections but never answers, like a stopped libvirtd.
    @Test func hungDaemonDoesNotHangTheAgent() async throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-hung-\(getpid()).sock").path
        let listener = try SilentListener(path: path)
        defer { listener.close() }
        try await withAgent(uri: "qemu+unix:///system?socket=\(path)") { client in
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let scrape = try await client.scrape()
                // A hang would last as long as libvirt's connect does (for ever against this socket). The agent
                // runs in the test process, sharing its threads with the suites running alongside, so the bound
                // separates a hang from a slow scrape, nothing finer (1 s failed once in CI at 1.18 s).
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(scrape.value("kvm_libvirt_up") == 0)
                try await Task.sleep(for: .milliseconds(200))
            }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }

    @Test func selfMetricsAndProcessFigures() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (scrape, ok) = try await client.scrape(until: {
                ($0.value("kvm_agent_collections_total", ["result": "success"]) ?? 0) >= 1
            })
            try #require(ok)
            #expect(
                (scrape.value("kvm_agent_last_collection_timestamp_seconds") ?? 0) > Date().timeIntervalSince1970 - 60)
            #expect((scrape.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((scrape.value("process_open_fds") ?? 0) >= 3)
            #expect(scrape.value("kvm_agent_events_received_total", ["event": "started"]) == 0)
        }
    }
}
