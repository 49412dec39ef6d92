import Foundation
import KVMCore
import Testing

@testable import Remediation

/// Reset and reboot of hung domains: the same safety model as start and shutdown, confirmed by the
/// domain's reset event (libvirt's reboot event).
@Suite struct ResetRebootTests {
    static let vm = TestDomain("vm_hung", 1, state: .running)

    static let rules = """
        rules:
          - name: reset-hung
            alertname: KVMDomainHung
            matchers: ['action="reset"']
            action: reset
          - name: reboot-hung
            alertname: KVMDomainHung
            matchers: ['action="reboot"']
            action: reboot
            shutdown_timeout: 200ms
          - name: reboot-or-reset
            alertname: KVMDomainHung
            matchers: ['action="reboot_force"']
            action: reboot
            shutdown_timeout: 200ms
            force_after_timeout: true
        """

    static func hung(_ action: String, fingerprint: String = "7c1e0a9d3b5f2e48") -> Alert {
        Alerts.firing("KVMDomainHung", domain: "vm_hung", fingerprint: fingerprint, labels: ["action": action])
    }

    static func harness(dryRun: Bool = false, state: DomainState = .running) throws -> EngineHarness {
        try EngineHarness(
            policy: PolicyText.yaml(dryRun: dryRun, rules: rules), domains: [TestDomain("vm_hung", 1, state: state)])
    }

    @Test func aResetConfirmedByItsEventSucceedsAndIsAudited() async throws {
        let harness = try Self.harness()
        let queued = try #require(try harness.handle(Self.hung("reset")).first)
        #expect(queued.decision.kind == .queued)
        #expect(queued.action == .reset)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(record?.stateBefore == "running")
        #expect(record?.stateAfter == "running")
        #expect(
            harness.controller.snapshot.calls.map(\.description) == [
                "state(vm_hung)", "reset(vm_hung)", "state(vm_hung)",
            ])
        #expect(harness.telemetry.calls.finished == [.init(action: .reset, result: .success)])
        let audit = try harness.auditRecords()
        #expect(audit.map(\.action) == ["reset", "reset"])
        #expect(audit.map(\.result) == [nil, "success"])
    }

    /// libvirt's test driver resets without an event: the call worked and the domain runs, but nothing
    /// confirmed it, and the record says so rather than claiming success.
    @Test func aResetWithoutAnEventIsUnconfirmed() async throws {
        let harness = try Self.harness()
        harness.controller.silenceResets(Self.vm.ref)
        let queued = try #require(try harness.handle(Self.hung("reset")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .unconfirmed)
        #expect(record?.error?.contains("no reset event") == true)
        #expect(try harness.auditRecords().last?.result == "unconfirmed")
    }

    @Test func aRebootConfirmedByTheResetItEndsWith() async throws {
        let harness = try Self.harness()
        let queued = try #require(try harness.handle(Self.hung("reboot")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(harness.controller.snapshot.count(.reboot) == 1)
        #expect(harness.controller.snapshot.count(.reset) == 0)
    }

    @Test func aRebootTheGuestIgnoresTimesOutWithoutForce() async throws {
        let harness = try Self.harness()
        harness.controller.ignoreReboot(Self.vm.ref)
        let queued = try #require(try harness.handle(Self.hung("reboot")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .timeout)
        #expect(record?.error?.contains("after the reboot request") == true)
        #expect(harness.controller.snapshot.count(.reset) == 0)
    }

    @Test func aRebootTheGuestIgnoresEndsInAResetWhereTheRuleAllowsForce() async throws {
        let harness = try Self.harness()
        harness.controller.ignoreReboot(Self.vm.ref)
        let queued = try #require(try harness.handle(Self.hung("reboot_force")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .forced)
        #expect(
            harness.controller.snapshot.calls.map(\.description) == [
                "state(vm_hung)", "reboot(vm_hung)", "reset(vm_hung)", "state(vm_hung)",
            ])
    }

    @Test(arguments: [DomainState.shutoff, .paused, .crashed])
    func aDomainThatIsNotRunningIsNotReset(state: DomainState) throws {
        let harness = try Self.harness(state: state)
        let record = try #require(try harness.handle(Self.hung("reset")).first)
        #expect(record.decision.kind == .nothingToDo)
        #expect(record.decision.reason == .notRunning)
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    @Test func dryRunDecidesAndDoesNothing() async throws {
        let harness = try Self.harness(dryRun: true)
        let record = try #require(try harness.handle(Self.hung("reset")).first)
        #expect(record.decision.kind == .dryRun)
        #expect(try harness.savedState().pending.isEmpty)
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    /// A second hung alert within the cooldown (a new firing, so not a duplicate) is refused.
    @Test func theCooldownHoldsForResets() async throws {
        let harness = try Self.harness()
        let first = try #require(try harness.handle(Self.hung("reset")).first)
        _ = await harness.whileRunning { await harness.finished(first.id) }
        harness.clock.advance(by: 10)
        let second = try #require(try harness.handle(Self.hung("reset", fingerprint: "0d4b8e2a6c1f9e37")).first)
        #expect(second.decision.reason == .cooldown)
        #expect(harness.controller.snapshot.count(.reset) == 1)
    }

    @Test func aDomainOutsideTheAllowListIsNotReset() throws {
        let harness = try EngineHarness(
            policy: PolicyText.yaml(domains: "names: [\"db*\"]", rules: Self.rules), domains: [Self.vm])
        let record = try #require(try harness.handle(Self.hung("reset")).first)
        #expect(record.decision.reason == .domainNotAllowed)
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    @Test func aManualResetIsQueuedAndConfirmed() async throws {
        let harness = try Self.harness()
        let record = try harness.engine.request(
            .reset, domain: "vm_hung", options: ManualOptions(), from: .api("operator"))
        #expect(record.decision.kind == .queued)
        #expect(record.decision.reason == .manualRequest)
        let finished = await harness.whileRunning { await harness.finished(record.id) }
        #expect(finished?.result == .success)
    }

    @Test func policyRulesMayResetOrReboot() throws {
        let policy = try Policy.parse(yaml: PolicyText.yaml(rules: Self.rules), relativeTo: "/tmp")
        #expect(policy.rules.map(\.action) == [.reset, .reboot, .reboot])
        #expect(policy.rules[2].forceAfterTimeout)
        let resetWithTimeout = """
            rules:
              - name: r
                alertname: KVMDomainHung
                action: reset
                shutdown_timeout: 1m
            """
        #expect(throws: ConfigError.self) {
            try Policy.parse(yaml: PolicyText.yaml(rules: resetWithTimeout), relativeTo: "/tmp")
        }
    }
}
