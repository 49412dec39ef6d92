import Foundation
import TestSupport
import Testing

@testable import KVMCore

/// The guest's own view: asked only of connected agents, isolated from a hung one, absent when no agent
/// answers, and the channel state kept by events over what an earlier XML read said.
@Suite struct GuestAgentCollectorTests {
    let alpha = Fixtures.running("alpha", 1)
    let bravo = Fixtures.running("bravo", 2)
    let charlie = Fixtures.running("charlie", 3)

    struct Setup {
        let harness: CollectorHarness
        let agents = FakeGuestAgents()
        let guest: GuestAgentCollector

        init(_ domains: [FakeHypervisor.FakeDomain]) {
            harness = CollectorHarness(domains)
            guest = GuestAgentCollector(collector: harness.collector, source: agents, interval: .seconds(3600))
        }

        func round(within limit: Duration = .seconds(10)) async -> Int? {
            let guest = self.guest
            return await within(limit) { await guest.collectOnce() }
        }

        var exposition: ParsedExposition { ParsedExposition(InventoryRenderer().render(harness.store.snapshot()).text) }
    }

    @Test func connectedAgentsAreExposedAndOthersAbsent() async throws {
        let s = Setup([alpha, bravo, charlie])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        s.agents.set(bravo.ref, channel: .absent)
        s.agents.set(charlie.ref, channel: .disconnected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        #expect(await s.round() == 1)

        let p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_connected", ["domain": "alpha"]) == "1")
        #expect(p.value("kvm_domain_guest_agent_connected", ["domain": "charlie"]) == "0")
        #expect(p.value("kvm_domain_guest_agent_connected", ["domain": "bravo"]) == nil, "no channel, no series")
        #expect(
            p.value(
                "kvm_domain_guest_os_info",
                [
                    "domain": "alpha", "id": "debian", "name": "Debian GNU/Linux",
                    "pretty_name": "Debian GNU/Linux 12 (bookworm)", "version": "12 (bookworm)", "version_id": "12",
                    "kernel_release": "6.1.0-56-cloud-amd64", "machine": "x86_64",
                ]) == "1")
        #expect(p.value("kvm_domain_guest_hostname_info", ["domain": "alpha", "hostname": "web01.example.org"]) == "1")
        let root = ["domain": "alpha", "mountpoint": "/", "fstype": "ext4", "device": "vda1"]
        #expect(p.value("kvm_domain_guest_filesystem_size_bytes", root) == "20000000000")
        #expect(p.value("kvm_domain_guest_filesystem_used_bytes", root) == "19000000000")
        let addresses = p.samples("kvm_domain_guest_interface_address_info").map { $0.labels["address"] ?? "" }
        #expect(addresses.sorted() == ["192.0.2.10", "2001:db8::10"], "loopback and link-local are left out")
        #expect(p.value("kvm_domain_guest_agent_timestamp_seconds", ["domain": "alpha"]) != nil)
        for name in ["bravo", "charlie"] {
            for family in ["kvm_domain_guest_os_info", "kvm_domain_guest_filesystem_size_bytes"] {
                #expect(!p.samples(family).contains { $0.labels["domain"] == name }, "\(family) for \(name)")
            }
        }
        #expect(s.agents.answerCalls(bravo.ref) == 0 && s.agents.answerCalls(charlie.ref) == 0)
        // The channel state is read once per connection; events keep it current after that.
        #expect(await s.round() == 1)
        #expect(s.agents.channelCalls(alpha.ref) == 1 && s.agents.channelCalls(bravo.ref) == 1)
    }

    @Test func hungAgentCostsOneDeadlineAndTouchesNothingElse() async throws {
        let s = Setup([alpha, bravo])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        s.agents.set(bravo.ref, channel: .connected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        #expect(await s.round() == 2)

        s.agents.hangAnswers(alpha.ref)
        let started = ContinuousClock.now
        #expect(await s.round() == 1)
        #expect(ContinuousClock.now - started < .seconds(3), "one deadline (200 ms), not a hang")
        var p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_timed_out", ["domain": "alpha"]) == "1")
        #expect(p.value("kvm_domain_guest_agent_timed_out", ["domain": "bravo"]) == "0")
        #expect(!p.samples("kvm_domain_guest_hostname_info").contains { $0.labels["domain"] == "alpha" })
        #expect(p.value("kvm_domain_guest_hostname_info", ["domain": "bravo", "hostname": "web01.example.org"]) == "1")

        // The host-side counters of the same domain do not wait for its agent.
        #expect(await s.harness.collectOnce() == .success)
        #expect(s.harness.entry(alpha.ref)?.statsTimedOut == false)
        // While the call is stuck, later rounds do not pile another onto it.
        #expect(await s.round() == 1)
        #expect(s.agents.answerCalls(alpha.ref) == 2)

        s.agents.releaseAnswers(alpha.ref)
        #expect(await s.harness.settled())
        #expect(await s.round() == 2)
        p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_timed_out", ["domain": "alpha"]) == "0")
        #expect(p.value("kvm_domain_guest_hostname_info", ["domain": "alpha", "hostname": "web01.example.org"]) == "1")
    }

    /// On a new connection the round asked for at once must not run before the first listing and then wait
    /// a whole interval: it waits for the listing.
    @Test func firstRoundOnAConnectionFollowsTheFirstListing() async throws {
        let s = Setup([alpha])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        let guest = s.guest
        guest.requestCollection()
        let loop = Task { await guest.run() }
        defer { loop.cancel() }
        // Not a wait for an event: it gives the loop the time to take the request before the listing lands,
        // as on a real connect, where the first pass takes a while.
        try await Task.sleep(for: .milliseconds(50))
        #expect(await s.harness.collectOnce() == .success)
        #expect(await eventually(within: .seconds(5)) { s.harness.entry(alpha.ref)?.guest.report != nil })
    }

    /// A hung guest keeps its agent channel connected and stops answering: what KVMDomainHung reads.
    @Test func responsivenessFollowsTheLastRoundOfAConnectedAgent() async throws {
        let s = Setup([alpha, bravo])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        s.agents.set(bravo.ref, channel: .connected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        #expect(s.exposition.family("kvm_domain_guest_agent_responsive") == nil, "not asked yet: absent, not 0")
        #expect(await s.round() == 2)
        #expect(s.exposition.value("kvm_domain_guest_agent_responsive", ["domain": "alpha"]) == "1")

        s.agents.hangAnswers(alpha.ref)
        s.agents.set(bravo.ref, channel: .connected, answer: nil)
        #expect(await s.round() == 0)
        var p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_responsive", ["domain": "alpha"]) == "0", "timed out")
        #expect(p.value("kvm_domain_guest_agent_responsive", ["domain": "bravo"]) == "0", "failed")

        s.agents.releaseAnswers(alpha.ref)
        #expect(await s.harness.settled())
        #expect(await s.round() == 1)
        p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_responsive", ["domain": "alpha"]) == "1")

        // A disconnected channel is not an unresponsive agent: the series goes.
        s.harness.store.applyAgentLifecycle(AgentLifecycleEvent(domain: bravo.ref, connected: false))
        #expect(!s.exposition.samples("kvm_domain_guest_agent_responsive").contains { $0.labels["domain"] == "bravo" })
    }

    @Test func failingAgentLeavesItsFamiliesAbsent() async throws {
        let s = Setup([alpha])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        #expect(await s.round() == 1)
        s.agents.set(alpha.ref, channel: .connected, answer: nil)
        #expect(await s.round() == 0)
        let p = s.exposition
        #expect(p.family("kvm_domain_guest_os_info") == nil)
        #expect(p.family("kvm_domain_guest_filesystem_used_bytes") == nil)
        #expect(p.value("kvm_domain_guest_agent_timed_out", ["domain": "alpha"]) == "0")
    }

    @Test func eventsWinOverAChannelReadBegunBeforeThem() async throws {
        let s = Setup([alpha])
        s.agents.set(alpha.ref, channel: .disconnected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        s.agents.hangChannel(alpha.ref)
        let guest = s.guest
        let round = Task { await guest.collectOnce() }
        #expect(await eventually { s.agents.channelCalls(alpha.ref) == 1 })
        // The agent connects while the XML (which still said disconnected) is on its way back.
        s.harness.store.applyAgentLifecycle(AgentLifecycleEvent(domain: alpha.ref, connected: true))
        s.agents.releaseChannel(alpha.ref)
        _ = await round.value
        #expect(s.harness.entry(alpha.ref)?.guest.channel == .connected)
        #expect(await s.round() == 1)

        s.harness.store.applyAgentLifecycle(AgentLifecycleEvent(domain: alpha.ref, connected: false))
        let p = s.exposition
        #expect(p.value("kvm_domain_guest_agent_connected", ["domain": "alpha"]) == "0")
        #expect(p.family("kvm_domain_guest_hostname_info") == nil, "a disconnected agent's figures are dropped")
    }

    @Test func stoppedDomainsAndLostConnectionsForgetTheGuest() async throws {
        let s = Setup([alpha])
        s.agents.set(alpha.ref, channel: .connected, answer: Fixtures.guestAnswer)
        #expect(await s.harness.collectOnce() == .success)
        #expect(await s.round() == 1)

        s.harness.store.disconnected()
        let forgotten = try #require(s.harness.entry(alpha.ref)?.guest)
        #expect(forgotten.channel == .unknown && forgotten.report == nil, "figures from the lost connection are gone")
        s.harness.store.connected(FakeHypervisor.identity)
        #expect(await s.round() == 1)
        #expect(s.agents.channelCalls(alpha.ref) == 2, "the channel state is read again on the new connection")

        s.harness.store.applyLifecycle(
            LifecycleEvent(domain: alpha.ref, kindCode: 5, detailCode: 0, time: Date().timeIntervalSince1970))
        #expect(s.harness.entry(alpha.ref)?.guest.report == nil)
        #expect(s.exposition.family("kvm_domain_guest_agent_connected") == nil)
    }
}

@Suite struct GuestAgentDecoderTests {
    @Test func boundsWhatAGuestCanMakeTheAgentExport() {
        var info: [String: StatValue] = ["fs.count": .uint(10_000_000)]
        for index in 0..<100 {
            info["fs.\(index).mountpoint"] = .string("/mnt/\(index)")
            info["fs.\(index).total-bytes"] = .uint(1000)
            info["fs.\(index).used-bytes"] = .int(-5)
        }
        info["fs.1.mountpoint"] = .string("/mnt/0")
        let addresses = (0..<40).map {
            GuestInterfaceAddresses.Address(isIPv6: false, address: "10.0.0.\($0)", prefixLength: 24)
        }
        let report = GuestAgentDecoder().decode(
            info, interfaces: [GuestInterfaceAddresses(name: "eth0", addresses: addresses)])
        #expect(report.fileSystems.count == GuestAgentDecoder.maximumFileSystems)
        #expect(Set(report.fileSystems.map(\.mountPoint)).count == report.fileSystems.count, "no duplicate series")
        #expect(report.fileSystems.allSatisfy { $0.usedBytes == nil && $0.totalBytes == 1000 }, "negative is no figure")
        #expect(report.addresses.count == GuestAgentDecoder.maximumAddresses)
        #expect(report.os == nil && report.hostname == nil)
        #expect(GuestAgentDecoder().decode(["fs.count": .double(.infinity)], interfaces: nil).fileSystems.isEmpty)
        #expect(GuestAgentDecoder().decode(["fs.count": .int(-3)], interfaces: nil).fileSystems.isEmpty)
    }

    @Test func readsTheChannelStateFromTheLiveXML() throws {
        func xml(_ channel: String) -> String {
            "<domain type='kvm'><name>a</name><devices>\(channel)<channel type='pty'><target type='serial'/></channel>"
                + "</devices></domain>"
        }
        let decoder = GuestAgentDecoder()
        let agent = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='%@'/></channel>"
        #expect(try decoder.channel(domainXML: xml(String(format: agent, "connected"))) == .connected)
        #expect(try decoder.channel(domainXML: xml(String(format: agent, "disconnected"))) == .disconnected)
        #expect(
            try decoder.channel(
                domainXML: xml("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"))
                == .disconnected)
        #expect(
            try decoder.channel(
                domainXML: xml(
                    "<channel type='unix'><target type='virtio' name='org.other.0' state='connected'/></channel>"))
                == .absent)
        #expect(throws: (any Error).self) { try decoder.channel(domainXML: "") }
    }
}
