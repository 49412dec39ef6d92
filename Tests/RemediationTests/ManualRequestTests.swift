import KVMCore
import Testing

@testable import Remediation

@Suite struct ManualRequestTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2, state: .running)

    @Test func aManualStartIsQueued() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let record = try harness.engine.request(
            .start, domain: "vm_centos7", options: ManualOptions(), from: .api("ops"))
        #expect(record.decision.kind == .queued)
        #expect(record.decision.reason == .manualRequest)
        #expect(record.decision.detail == "start vm_centos7 for ops")
        #expect(record.source == "api")
        #expect(record.principal == "ops")
        #expect(record.alertFingerprint == nil)
        #expect(record.status == .queued)
        let byUUID = try harness.engine.request(
            .start, domain: Self.vm.ref.uuid, options: ManualOptions(), from: .api("ops"))
        #expect(byUUID.decision.reason == .actionPending)
    }

    @Test func aManualDryRunQueuesNothing() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let record = try harness.engine.request(
            .start, domain: "vm_centos7", options: ManualOptions(dryRun: true), from: .api("ops"))
        #expect(record.decision.kind == .dryRun)
        #expect(record.decision.reason == .manualRequest)
        #expect(try harness.savedState().pending.isEmpty)

        let apiDryRun = try EngineHarness(policy: PolicyText.yaml(api: ["dry_run": "true"]), domains: [Self.vm])
        let viaPolicy = try apiDryRun.engine.request(
            .start, domain: "vm_centos7", options: ManualOptions(), from: .api("o"))
        #expect(viaPolicy.decision.kind == .dryRun)
    }

    @Test func anUnknownDomainThrows() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        #expect(throws: RemediationEngine.UnknownDomain.self) {
            try harness.engine.request(.start, domain: "ghost", options: ManualOptions(), from: .api("ops"))
        }
        #expect(harness.engine.recentActions().isEmpty)
    }

    @Test func forceNeedsAShutdownAndThePolicysConsent() throws {
        let harness = try EngineHarness(domains: [Self.vm, Self.db])
        let refused = try harness.engine.request(
            .shutdown, domain: "db01", options: ManualOptions(forceAfterSeconds: 10), from: .api("ops"))
        #expect(refused.decision.kind == .skipped)
        #expect(refused.decision.reason == .forceNotAllowed)
        #expect(try harness.savedState().pending.isEmpty)

        let allowing = try EngineHarness(
            policy: PolicyText.yaml(api: ["allow_force": "true"]), domains: [Self.vm, Self.db])
        let forced = try allowing.engine.request(
            .shutdown, domain: "db01", options: ManualOptions(forceAfterSeconds: 10), from: .api("ops"))
        #expect(forced.decision.kind == .queued)
        let plan = try #require(try allowing.savedState().pending[forced.id])
        #expect(plan.forceAfterTimeout)
        #expect(plan.shutdownTimeoutSeconds == 10)
        let start = try allowing.engine.request(
            .start, domain: "vm_centos7", options: ManualOptions(forceAfterSeconds: 10), from: .api("ops"))
        #expect(start.decision.reason == .forceNotAllowed)
    }

    @Test func manualRequestsRespectOwnership() throws {
        let nova = TestDomain("vm_nova", 4, orchestrator: "nova")
        let harness = try EngineHarness(domains: [nova])
        let refused = try harness.engine.request(.start, domain: "vm_nova", options: ManualOptions(), from: .api("ops"))
        #expect(refused.decision.reason == .orchestrated)
        let allowing = try EngineHarness(policy: PolicyText.yaml(api: ["allow_orchestrated": "true"]), domains: [nova])
        let allowed = try allowing.engine.request(
            .start, domain: "vm_nova", options: ManualOptions(), from: .api("ops"))
        #expect(allowed.decision.kind == .queued)
    }
}
