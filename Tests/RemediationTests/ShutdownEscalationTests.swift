import Foundation
import KVMCore
import Testing

@testable import Remediation

/// Shutdown escalates like an HA manager's stop: ACPI, then the guest agent where one is connected, then a
/// power-off only where the rule allows force; every step's outcome is in the action record and the audit log.
@Suite struct ShutdownEscalationTests {
    static let rules = """
        rules:
          - name: stop
            alertname: KVMDomainHung
            action: shutdown
            shutdown_timeout: 200ms
          - name: stop-or-force
            alertname: KVMDomainWedged
            action: shutdown
            shutdown_timeout: 200ms
            force_after_timeout: true
        """

    static func harness(agent: Bool) throws -> (EngineHarness, DomainRef) {
        var domain = TestDomain("vm_stubborn", 1, state: .running)
        domain.agentConnected = agent
        let harness = try EngineHarness(policy: PolicyText.yaml(rules: rules), domains: [domain])
        return (harness, domain.ref)
    }

    static func run(_ harness: EngineHarness, _ alert: String) async throws -> ActionRecord? {
        let queued = try #require(try harness.handle(Alerts.firing(alert, domain: "vm_stubborn")).first)
        return await harness.whileRunning { await harness.finished(queued.id) }
    }

    @Test func anACPIShutdownThatWorksIsOneStep() async throws {
        let (harness, _) = try Self.harness(agent: true)
        let record = try await Self.run(harness, "KVMDomainHung")
        #expect(record?.result == .success)
        #expect(record?.steps == [ActionStep(.acpiShutdown, .success)])
        #expect(harness.controller.snapshot.count(.agentShutdown) == 0)
    }

    @Test func theGuestAgentShutsDownAGuestThatIgnoresACPI() async throws {
        let (harness, ref) = try Self.harness(agent: true)
        harness.controller.ignoreShutdown(ref)
        let record = try await Self.run(harness, "KVMDomainHung")
        #expect(record?.result == .success)
        #expect(record?.steps?.map(\.name) == [.acpiShutdown, .agentShutdown])
        #expect(record?.steps?.map(\.result) == [.timeout, .success])
        let steps = try harness.auditRecords().filter { $0.event == .step }
        #expect(steps.map(\.step) == ["acpi_shutdown", "agent_shutdown"])
        #expect(try harness.auditRecords().last?.steps?.count == 2)
    }

    @Test func withoutAnAgentTheForcedPowerOffFollowsACPI() async throws {
        let (harness, ref) = try Self.harness(agent: false)
        harness.controller.ignoreShutdown(ref)
        let record = try await Self.run(harness, "KVMDomainWedged")
        #expect(record?.result == .forced)
        #expect(record?.steps?.map(\.name) == [.acpiShutdown, .destroy])
        #expect(harness.controller.snapshot.count(.agentShutdown) == 0)
    }

    @Test func everyStepInOrderWhenACPIAndTheAgentAreIgnored() async throws {
        let (harness, ref) = try Self.harness(agent: true)
        harness.controller.ignoreShutdown(ref)
        harness.controller.ignoreAgentShutdown(ref)
        let record = try await Self.run(harness, "KVMDomainWedged")
        #expect(record?.result == .forced)
        #expect(record?.steps?.map(\.name) == [.acpiShutdown, .agentShutdown, .destroy])
        #expect(record?.steps?.map(\.result) == [.timeout, .timeout, .success])
        #expect(
            harness.controller.snapshot.calls.map(\.description) == [
                // Each timed-out wait asks the state once, in case the event was lost.
                "state(vm_stubborn)", "shutdown(vm_stubborn)", "state(vm_stubborn)", "agentShutdown(vm_stubborn)",
                "state(vm_stubborn)", "destroy(vm_stubborn)", "state(vm_stubborn)",
            ])
    }

    @Test func noPowerOffWhereTheRuleDoesNotAllowForce() async throws {
        let (harness, ref) = try Self.harness(agent: true)
        harness.controller.ignoreShutdown(ref)
        harness.controller.ignoreAgentShutdown(ref)
        let record = try await Self.run(harness, "KVMDomainHung")
        #expect(record?.result == .timeout)
        #expect(record?.steps?.map(\.name) == [.acpiShutdown, .agentShutdown])
        #expect(harness.controller.snapshot.count(.destroy) == 0)
    }
}
