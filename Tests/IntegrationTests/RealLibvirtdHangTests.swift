import Foundation
import HTTPTypes
import HummingbirdTesting
import Libvirt
import Testing

/// Reset and reboot of hung guests on a real libvirtd: QEMU's reset event (libvirt's reboot event) is
/// what confirms both. An extension of `RealLibvirtdTests`, so it runs serialized with the test that
/// restarts libvirtd.
extension RealLibvirtdTests {
    static let hangRules = """
          - name: reset-hung
            alertname: KVMDomainHung
            action: reset
          - name: reboot-hung
            alertname: KVMDomainRebootMe
            action: reboot
            shutdown_timeout: 60s
        """

    /// The halted guest stands for a hung one (its vCPU sits in `hlt` with interrupts off): a reset is
    /// confirmed by the event, counted, and the guest keeps running.
    @Test func webhookResetsAHungGuestConfirmedByTheResetEvent() async throws {
        let guest = try Guest(.halted, purpose: "remreset")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        let fixture = try RemediationFixture(domains: [guest.name], rules: Self.hangRules)
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let (_, listed) = try await client.scrape(until: { $0.knownState(of: guest.name) == "running" })
            try #require(listed)
            let outcome = try await client.remediate("KVMDomainHung", domain: guest.name, within: .seconds(60))
            #expect(outcome["result"] as? String == "success", "\(outcome)")
            #expect(outcome["state_after"] as? String == "running")
            let (scrape, counted) = try await client.scrape(until: {
                // At least ours: SeaBIOS sometimes resets a guest that has just been started, once.
                ($0.value("kvm_domain_resets_total", ["domain": guest.name]) ?? 0) >= 1
            })
            #expect(
                counted,
                "the reset event is counted: \(scrape.value("kvm_domain_resets_total", ["domain": guest.name]) ?? -1)")
            #expect(scrape.value("kvm_agent_remediation_actions_total", ["action": "reset", "result": "success"]) == 1)
        }
    }

    /// The Linux guest powers off on ACPI; libvirt's reboot turns that into a reset, whose event confirms
    /// the reboot.
    @Test func aRebootOfTheLinuxGuestIsConfirmedByItsReset() async throws {
        let guest = try Guest(.linux, purpose: "remreboot")
        defer { guest.remove() }
        try await offPool { try guest.define(on: try RealLibvirtd.connect()).create() }
        try #require(try await guest.waitUntilBooted(), "guest never printed its ready line")
        let fixture = try RemediationFixture(domains: [guest.name], rules: Self.hangRules)
        defer { fixture.remove() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600), policy: try fixture.policy()) { client in
            let (_, listed) = try await client.scrape(until: { $0.knownState(of: guest.name) == "running" })
            try #require(listed)
            let outcome = try await client.remediate("KVMDomainRebootMe", domain: guest.name, within: .seconds(90))
            #expect(outcome["result"] as? String == "success", "\(outcome)")
            #expect(outcome["state_after"] as? String == "running")
        }
    }
}
