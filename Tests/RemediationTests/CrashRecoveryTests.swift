import Foundation
import KVMCore
import Testing

@testable import Remediation

/// A domain that crashed but is still active (libvirt refuses to start it: "already active") is destroyed,
/// then started, where the rule says so; each step is confirmed by its event and audited.
@Suite struct CrashRecoveryTests {
    static let rules = """
        rules:
          - name: recover
            alertname: KVMDomainCrashed
            action: start
            recover_crashed: destroy_then_start
          - name: start-only
            alertname: KVMDomainNotRunning
            action: start
            when_paused: resume
        """

    static func harness(state: DomainState = .crashed, reason: String = "panicked") throws -> EngineHarness {
        try EngineHarness(
            policy: PolicyText.yaml(rules: rules), domains: [TestDomain("vm_crashy", 1, state: state, reason: reason)])
    }

    static let ref = TestDomain.ref("vm_crashy", 1)

    static func alert(_ name: String = "KVMDomainCrashed") -> Alert {
        Alerts.firing(name, domain: "vm_crashy")
    }

    @Test func aCrashedDomainIsDestroyedThenStartedEachStepConfirmedAndAudited() async throws {
        let harness = try Self.harness()
        let queued = try #require(try harness.handle(Self.alert()).first)
        #expect(queued.decision.kind == .queued)
        #expect(try harness.savedState().pending[queued.id]?.operation == .destroyThenStart)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(record?.stateBefore == "crashed")
        #expect(record?.stateAfter == "running")
        #expect(record?.steps == [ActionStep(.destroy, .success), ActionStep(.start, .success)])
        #expect(
            harness.controller.snapshot.calls.map(\.description) == [
                "state(vm_crashy)", "destroy(vm_crashy)", "start(vm_crashy)", "state(vm_crashy)",
            ])
        let audit = try harness.auditRecords()
        #expect(audit.map(\.event) == [.decision, .step, .step, .outcome])
        #expect(audit.map(\.step) == [nil, "destroy", "start", nil])
        #expect(audit.map(\.result) == [nil, "success", "success", "success"])
        #expect(audit.last?.steps?.count == 2)
    }

    @Test(arguments: ["crashed", "panicked"])
    func aDomainPausedByACrashIsRecoveredNotResumed(reason: String) async throws {
        let harness = try Self.harness(state: .paused, reason: reason)
        let queued = try #require(try harness.handle(Self.alert()).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(harness.controller.snapshot.count(.resume) == 0)
        #expect(harness.controller.snapshot.count(.destroy) == 1)
    }

    /// The rule without `recover_crashed` says why it leaves the domain alone, and does not resume a guest
    /// that a crash paused (its `when_paused: resume` is for ordinary pauses).
    @Test(arguments: [(DomainState.crashed, "panicked"), (.paused, "panicked"), (.paused, "crashed")])
    func withoutRecoverCrashedTheDecisionSaysWhy(state: DomainState, reason: String) throws {
        let harness = try Self.harness(state: state, reason: reason)
        let record = try #require(try harness.handle(Self.alert("KVMDomainNotRunning")).first)
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .crashedLeftAlone)
        #expect(record.decision.detail.contains("recover_crashed: destroy_then_start"))
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    @Test func anOrdinaryPauseIsStillResumed() async throws {
        let harness = try Self.harness(state: .paused, reason: "user")
        let queued = try #require(try harness.handle(Self.alert("KVMDomainNotRunning")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(harness.controller.snapshot.count(.resume) == 1)
        #expect(harness.controller.snapshot.count(.destroy) == 0)
        #expect(record?.steps == nil)
    }

    @Test func aDestroyThatIsNotConfirmedStopsBeforeTheStart() async throws {
        let harness = try Self.harness()
        harness.controller.ignoreDestroy(Self.ref)
        let queued = try #require(try harness.handle(Self.alert()).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .failed)
        #expect(record?.steps?.map(\.name) == [.destroy])
        #expect(record?.steps?.first?.result == .timeout)
        #expect(harness.controller.snapshot.count(.start) == 0)
    }

    @Test func aStartThatFailsAfterTheDestroyIsRecordedAsItsStep() async throws {
        let harness = try Self.harness()
        harness.controller.failStart(Self.ref, with: "internal error: qemu unexpectedly closed the monitor")
        let queued = try #require(try harness.handle(Self.alert()).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .failed)
        #expect(record?.steps?.map(\.name) == [.destroy, .start])
        #expect(record?.steps?.last?.result == .failed)
        #expect(record?.steps?.last?.detail?.contains("qemu unexpectedly closed") == true)
        let steps = try harness.auditRecords().filter { $0.event == .step }
        #expect(steps.map(\.result) == ["success", "failed"])
    }

    @Test func recoverCrashedAppliesToStartRulesOnly() throws {
        let rules = """
            rules:
              - name: r
                alertname: KVMDomainHung
                action: shutdown
                recover_crashed: destroy_then_start
            """
        #expect(throws: ConfigError.self) {
            try Policy.parse(yaml: PolicyText.yaml(rules: rules), relativeTo: "/tmp")
        }
        let bad = Self.rules.replacingOccurrences(of: "destroy_then_start", with: "reboot")
        #expect(throws: ConfigError.self) { try Policy.parse(yaml: PolicyText.yaml(rules: bad), relativeTo: "/tmp") }
    }
}
