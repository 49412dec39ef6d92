import Foundation
import HummingbirdTesting
import Libvirt
import Testing

/// The guest's own view through a real `qemu-ga` in the Linux test guest, against `virsh guestinfo` and
/// `virsh domifaddr --source agent`; a guest without an agent gives no guest families.
@Suite(.serialized, .enabled(if: RealLibvirtd.enabled))
struct RealLibvirtdGuestAgentTests {
    init() throws {
        try RealLibvirtd.ensureUp()
    }

    /// `virsh guestinfo NAME`'s `key : value` lines.
    static func virshGuestInfo(_ name: String) throws -> [String: String] {
        let result = try run(
            "/usr/bin/virsh", ["-c", RealLibvirtd.uri, "guestinfo", name, "--os", "--hostname", "--filesystem"])
        try #require(result.status == 0, "virsh guestinfo: \(result.output)")
        var fields: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// The agent connects after the guest boots; the round it asks for at once (the interval is far longer
    /// than the test) brings the figures, which match what virsh shows. The halted guest has no agent
    /// channel: no guest series, and no call into it.
    @Test func realGuestAgentFiguresMatchVirsh() async throws {
        let linux = try Guest(.linux, purpose: "agent")
        let halted = try Guest(.halted, purpose: "noagent")
        defer {
            linux.remove()
            halted.remove()
        }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(
            uri: RealLibvirtd.uri, interval: .seconds(600), timeout: .seconds(5), guestAgentInterval: .seconds(600)
        ) {
            client in
            _ = try await client.scrape(until: { $0.value("kvm_libvirt_up") == 1 })
            try await offPool { try halted.define(on: libvirt).create() }
            let domain = try linux.define(on: libvirt)
            try await offPool { try domain.create() }
            let name = linux.name
            let started = ContinuousClock.now
            // TCG boots slowly on a loaded 2-core machine: a generous deadline.
            let (scrape, answered) = try await client.scrape(
                until: { $0.value("kvm_domain_guest_hostname_info", ["domain": name]) != nil }, within: .seconds(120))
            print("kvm-agent: guest agent figures on /metrics \(ContinuousClock.now - started) after start")
            try #require(
                answered,
                "no guest agent figures:\n\(scrape.text.split(separator: "\n").filter { $0.contains(name) }.joined(separator: "\n"))"
            )

            let virsh = try Self.virshGuestInfo(name)
            #expect(scrape.value("kvm_domain_guest_agent_connected", ["domain": name]) == 1)
            #expect(
                scrape.value("kvm_domain_guest_hostname_info", ["domain": name, "hostname": "kvm-agent-guest"]) == 1)
            #expect(virsh["hostname"] == "kvm-agent-guest")
            let os = try #require(scrape.series("kvm_domain_guest_os_info").first { $0.labels["domain"] == name })
            #expect(os.labels["name"] == "kvm-agent test guest" && os.labels["name"] == virsh["os.name"])
            #expect(os.labels["id"] == virsh["os.id"] && os.labels["version_id"] == "1.0")
            #expect(os.labels["kernel_release"] == virsh["os.kernel-release"])
            let data = ["domain": name, "mountpoint": "/data", "fstype": "ext2", "device": "loop0"]
            #expect(virsh["fs.0.mountpoint"] == "/data")
            let size = try #require(scrape.value("kvm_domain_guest_filesystem_size_bytes", data))
            #expect(size == Double(virsh["fs.0.total-bytes"] ?? ""))
            #expect(
                scrape.value("kvm_domain_guest_filesystem_used_bytes", data) == Double(virsh["fs.0.used-bytes"] ?? ""))
            #expect(size > 7_000_000 && size < 8_388_608, "the guest's 8 MiB ext2 file system")

            let addresses = try run("/usr/bin/virsh", ["-c", RealLibvirtd.uri, "domifaddr", name, "--source", "agent"])
            #expect(addresses.output.contains("10.0.2.15/24"))
            #expect(
                scrape.value(
                    "kvm_domain_guest_interface_address_info",
                    [
                        "domain": name, "interface": "eth0", "family": "ipv4", "address": "10.0.2.15",
                        "prefix_length": "24",
                    ])
                    == 1)
            #expect(
                !scrape.series("kvm_domain_guest_interface_address_info").contains { $0.labels["interface"] == "lo" })

            let guestFamilies = Set(scrape.samples.map(\.name).filter { $0.hasPrefix("kvm_domain_guest_") })
            #expect(guestFamilies.count >= 7, "\(guestFamilies)")
            #expect(
                !scrape.samples.contains {
                    $0.name.hasPrefix("kvm_domain_guest_") && $0.labels["domain"] == halted.name
                },
                "the guest without an agent has no guest series")
            #expect(scrape.state(of: halted.name) == "running")
            #expect(try promtoolProblems(scrape.text) == "")

            // ACPI shutdown still works with the agent running; the agent's figures go with it.
            try domain.shutdown()
            let (_, gone) = try await client.scrape(
                until: {
                    $0.state(of: name) == "shutoff"
                        && $0.value("kvm_domain_guest_hostname_info", ["domain": name]) == nil
                },
                within: .seconds(90))
            #expect(gone, "the guest did not shut down, or its guest figures stayed")
        }
    }

    /// The guest's qemu stopped (SIGSTOP), agent and all: its rounds time out and its guest families go, the
    /// other guest keeps fresh host-side figures and scrapes answer at once; after SIGCONT the figures return.
    @Test func guestWhoseAgentStopsAnsweringIsIsolated() async throws {
        let linux = try Guest(.linux, purpose: "agentstop")
        let other = try Guest(.halted, purpose: "agentother")
        defer {
            if let pid = try? RealLibvirtd.qemuPID(linux.name) { kill(pid, SIGCONT) }
            linux.remove()
            other.remove()
        }
        let libvirt = try RealLibvirtd.connect()
        try await offPool { try other.define(on: libvirt).create() }
        try await offPool { try linux.define(on: libvirt).create() }
        let name = linux.name
        try await withAgent(
            uri: RealLibvirtd.uri, interval: .seconds(1), timeout: .seconds(1), guestAgentInterval: .seconds(1)
        ) { client in
            let (_, answered) = try await client.scrape(
                until: { $0.value("kvm_domain_guest_hostname_info", ["domain": name]) != nil }, within: .seconds(120))
            try #require(answered, "the guest agent never answered")
            #expect(try await client.scrape().value("kvm_domain_guest_agent_responsive", ["domain": name]) == 1)
            let pid = try RealLibvirtd.qemuPID(name)
            kill(pid, SIGSTOP)
            let (_, timedOut) = try await client.scrape(
                until: {
                    $0.value("kvm_domain_guest_agent_timed_out", ["domain": name]) == 1
                        && $0.value("kvm_domain_guest_hostname_info", ["domain": name]) == nil
                        // What KVMDomainHung reads: the channel stays connected, the agent does not answer.
                        && $0.value("kvm_domain_guest_agent_responsive", ["domain": name]) == 0
                }, within: .seconds(30))
            #expect(timedOut, "the stopped guest's agent was never reported")

            var timestamps = Set<Double>()
            var slowest = Duration.zero
            let end = ContinuousClock.now + .seconds(8)
            while ContinuousClock.now < end {
                let started = ContinuousClock.now
                let scrape = try await client.scrape()
                slowest = max(slowest, ContinuousClock.now - started)
                if let t = scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": other.name]) {
                    timestamps.insert(t)
                }
                #expect(scrape.value("kvm_domain_guest_os_info", ["domain": name]) == nil)
                try await Task.sleep(for: .milliseconds(500))
            }
            print(
                "kvm-agent: agent stopped; slowest scrape \(slowest), other guest sampled \(timestamps.count) times in 8 s"
            )
            #expect(timestamps.count >= 3, "the other guest kept fresh figures")
            #expect(slowest < .seconds(1))

            kill(pid, SIGCONT)
            let (_, back) = try await client.scrape(
                until: {
                    $0.value("kvm_domain_guest_agent_timed_out", ["domain": name]) == 0
                        && $0.value("kvm_domain_guest_hostname_info", ["domain": name]) != nil
                        && $0.value("kvm_domain_guest_agent_responsive", ["domain": name]) == 1
                }, within: .seconds(60))
            #expect(back, "the guest agent's figures did not return after SIGCONT")
        }
    }
}
