import Foundation
import HummingbirdTesting
import Testing

/// A crashed but still active domain on libvirt's test driver: the demo host's legacy01 starts in state
/// crashed (`test:runstate` 6), and libvirt refuses to start it ("already active"), as it refuses a QEMU
/// guest that crashed with `on_crash` preserve. Making a real guest crash here would need a panic device
/// and a panicking kernel; the driver has the same lifecycle semantics and events.
@Suite struct CrashRecoveryDriverTests {
    static let rules = """
          - name: recover
            alertname: KVMDomainCrashed
            action: start
            recover_crashed: destroy_then_start
          - name: start-only
            alertname: KVMDomainNotRunning
            action: start
        """

    @Test func aCrashedDomainIsDestroyedThenStartedOrLeftAloneWithAReason() async throws {
        let fixture = try RemediationFixture(domains: ["legacy01"], rules: Self.rules)
        defer { fixture.remove() }
        try await withAgent(uri: Repo.demoURI, policy: try fixture.policy()) { client in
            _ = try await client.scrape(until: DemoHostTests.ready)
            #expect(try await client.scrape().state(of: "legacy01") == "crashed")

            let plain = try await client.post(
                "/api/v1/alertmanager",
                json: RemediationFixture.notification(alert: "KVMDomainNotRunning", domain: "legacy01"))
            #expect(plain.reason == "crashed_left_alone", "\(plain.text)")

            let outcome = try await client.remediate("KVMDomainCrashed", domain: "legacy01", within: .seconds(30))
            #expect(outcome["result"] as? String == "success", "\(outcome)")
            #expect(outcome["state_before"] as? String == "crashed")
            #expect(outcome["state_after"] as? String == "running")
            let steps = try #require(outcome["steps"] as? [[String: Any]], "\(outcome)")
            #expect(steps.compactMap { $0["name"] as? String } == ["destroy", "start"])
            #expect(steps.compactMap { $0["result"] as? String } == ["success", "success"])

            let audit = try fixture.auditRecords()
            #expect(
                audit.filter { $0["event"] as? String == "step" }.compactMap { $0["step"] as? String } == [
                    "destroy", "start",
                ])
            let (scrape, seen) = try await client.scrape(until: {
                $0.value(
                    "kvm_domain_lifecycle_events_total",
                    ["domain": "legacy01", "event": "stopped", "detail": "destroyed"])
                    == 1
            })
            #expect(seen, "the destroy's stopped event")
            #expect(scrape.state(of: "legacy01") == "running")
        }
    }
}
