import KVMCore
import Testing

@testable import Remediation

/// Decisions that follow from the alert, the rules and the domain: everything before the safety checks.
@Suite struct RuleDecisionTests {
    static let vm = TestDomain("vm_centos7", 1)

    private func decide(
        _ alert: Alert, domains: [TestDomain] = [vm], policy: String = PolicyText.yaml()
    ) throws -> ActionRecord {
        let harness = try EngineHarness(policy: policy, domains: domains)
        let records = try harness.handle(alert)
        try #require(records.count == 1)
        return records[0]
    }

    @Test func aMatchingRuleQueuesTheAction() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let record = try #require(try harness.handle(Alerts.firing()).first)
        #expect(record.decision.kind == .queued)
        #expect(record.decision.reason == .ruleMatched)
        #expect(record.decision.detail == "rule start-not-running: start vm_centos7")
        #expect(record.status == .queued)
        #expect(record.action == .start)
        #expect(record.domain == "vm_centos7")
        #expect(record.domainUUID == Self.vm.ref.uuid)
        #expect(record.alertFingerprint == "6a3c1f0d9b2e4c7a")
        #expect(record.alertName == "KVMDomainNotRunning")
        #expect(record.source == "alertmanager")
        #expect(record.principal == "alertmanager")
        #expect(!record.dryRun)
        #expect(harness.engine.action(id: record.id) == record)
        #expect(harness.engine.recentActions().map(\.id) == [record.id])
        #expect(harness.telemetry.calls.decided == [record.decision])
        let pending = try harness.savedState().pending
        #expect(pending[record.id]?.operation == .start)
        #expect(pending[record.id]?.rule == "start-not-running")
        let audit = try harness.auditRecords()
        #expect(audit.map(\.event) == [.decision])
        #expect(audit.first?.decision == "queued")
        #expect(audit.first?.reason == "rule_matched")
    }

    @Test func globalDryRunDecidesWithoutQueueing() throws {
        let harness = try EngineHarness(policy: PolicyText.yaml(dryRun: true), domains: [Self.vm])
        let record = try #require(try harness.handle(Alerts.firing()).first)
        #expect(record.decision.kind == .dryRun)
        #expect(record.decision.reason == .ruleMatched)
        #expect(record.status == .decided)
        #expect(record.dryRun)
        #expect(try harness.savedState().pending.isEmpty)
        // A dry run is not an action: the same alert is judged again, not taken for a duplicate.
        #expect(try harness.handle(Alerts.firing()).first?.decision.kind == .dryRun)
    }

    @Test func aRuleOverridesTheGlobalDryRun() throws {
        let rules = """
            rules:
              - name: rehearse
                alertname: KVMDomainNotRunning
                matchers: ['domain="vm_centos7"']
                action: start
                dry_run: true
              - name: act
                alertname: KVMDomainNotRunning
                action: start
                dry_run: false
            """
        let vm2 = TestDomain("vm_other", 2)
        let harness = try EngineHarness(policy: PolicyText.yaml(dryRun: true, rules: rules), domains: [Self.vm, vm2])
        let records = try harness.handle(
            Alerts.firing(), Alerts.firing(domain: "vm_other", fingerprint: "f2"))
        #expect(records.map(\.decision.kind) == [.dryRun, .queued])
        #expect(records.map(\.dryRun) == [true, false])
    }

    @Test func aMatchingRuleQueuesEvenUnderGlobalDryRunWhenTheRuleSaysSo() throws {
        let rules = "rules:\n  - name: act\n    alertname: KVMDomainNotRunning\n    action: start\n    dry_run: false\n"
        let record = try decide(Alerts.firing(), policy: PolicyText.yaml(dryRun: true, rules: rules))
        #expect(record.decision.kind == .queued)
    }

    @Test func startOfARunningDomainIsNothingToDo() throws {
        for state in [DomainState.running, .blocked, .shutdown] {
            let record = try decide(Alerts.firing(), domains: [TestDomain("vm_centos7", 1, state: state)])
            #expect(record.decision.kind == .nothingToDo)
            #expect(record.decision.reason == .alreadyRunning)
            #expect(record.status == .decided)
        }
    }

    @Test func shutdownOfAStoppedDomainIsNothingToDo() throws {
        for state in [DomainState.shutoff, .crashed] {
            let record = try decide(
                Alerts.firing("KVMDomainHung"), domains: [TestDomain("vm_centos7", 1, state: state)])
            #expect(record.decision.kind == .nothingToDo)
            #expect(record.decision.reason == .alreadyShutOff)
            #expect(record.action == .shutdown)
        }
    }

    @Test func aPausedDomainIsLeftAloneUnlessTheRuleResumesIt() throws {
        let paused = TestDomain("vm_centos7", 1, state: .paused)
        let leave = try decide(Alerts.firing("KVMDomainPaused"), domains: [paused])
        #expect(leave.decision.kind == .nothingToDo)
        #expect(leave.decision.reason == .pausedLeftAlone)

        let suspended = try decide(Alerts.firing(), domains: [TestDomain("vm_centos7", 1, state: .pmsuspended)])
        #expect(suspended.decision.reason == .pausedLeftAlone)

        let harness = try EngineHarness(domains: [paused])
        let resume = try #require(try harness.handle(Alerts.firing()).first)
        #expect(resume.decision.kind == .queued)
        #expect(try harness.savedState().pending[resume.id]?.operation == .resume)
    }

    static let instances: [(instance: String?, reason: Reason)] = [
        ("kvm01.example.net:9760", .ruleMatched),
        ("kvm01.example.net", .ruleMatched),
        ("KVM01.Example.NET:9760", .ruleMatched),
        ("kvm01:9100", .ruleMatched),
        (nil, .noHostLabel),
        ("", .noHostLabel),
        ("kvm02.example.net:9760", .notThisHost),
        ("kvm02.example.net", .notThisHost),
        ("kvm01.example.net.evil:9760", .notThisHost),
        ("kvm01.example:9760", .notThisHost),
        ("10.0.0.1:9760", .notThisHost),
    ]

    @Test(arguments: instances)
    func theInstanceLabelSaysWhichHostAnAlertIsAbout(instance: String?, reason: Reason) throws {
        let record = try decide(Alerts.firing(instance: instance))
        #expect(record.decision.reason == reason)
        if reason == .ruleMatched {
            #expect(record.decision.kind == .queued)
        } else {
            #expect(record.decision.kind == .skipped)
            #expect(record.action == nil)
        }
    }

    /// Alertmanager sends one alert to every agent: without the host label it would act on each host.
    @Test(arguments: [nil, ""] as [String?])
    func anAlertWithoutAHostLabelActsOnlyWhereThePolicyAllowsIt(instance: String?) throws {
        let refused = try decide(Alerts.firing(instance: instance))
        #expect(refused.decision.kind == .skipped)
        #expect(refused.decision.detail.contains("host.allow_missing_label"))
        let allowed = try decide(
            Alerts.firing(instance: instance), policy: PolicyText.yaml(allowMissingHostLabel: true))
        #expect(allowed.decision.kind == .queued)
        let elsewhere = try decide(
            Alerts.firing(instance: "kvm02.example.net"), policy: PolicyText.yaml(allowMissingHostLabel: true))
        #expect(elsewhere.decision.reason == .notThisHost)
    }

    @Test func anAlertNoRuleMatchesIsSkipped() throws {
        let record = try decide(Alerts.firing("KVMHostDown"))
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .noMatchingRule)
        #expect(record.action == nil)
    }

    @Test func matchersNarrowARule() throws {
        let rules = """
            rules:
              - name: critical-only
                alertname: KVMDomainNotRunning
                matchers: ['severity="critical"']
                action: start
            """
        let policy = PolicyText.yaml(rules: rules)
        #expect(try decide(Alerts.firing(), policy: policy).decision.reason == .noMatchingRule)
        let critical = try decide(Alerts.firing(labels: ["severity": "critical"]), policy: policy)
        #expect(critical.decision.kind == .queued)
    }

    @Test func anAlertWithoutADomainLabelIsSkipped() throws {
        let record = try decide(Alerts.firing(domain: nil))
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .noDomainLabel)
        #expect(record.action == .start)
    }

    @Test func theDomainUUIDLabelFindsTheDomain() throws {
        let alert = Alerts.firing(domain: nil, labels: ["domain_uuid": Self.vm.ref.uuid.uppercased()])
        let record = try decide(alert)
        #expect(record.decision.kind == .queued)
        #expect(record.domain == "vm_centos7")
    }

    @Test func anUnknownDomainIsSkipped() throws {
        let record = try decide(Alerts.firing(domain: "ghost"))
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .unknownDomain)
        #expect(record.domainUUID == nil)
    }

    @Test func aDomainOutsideTheAllowListIsSkipped() throws {
        let web = TestDomain("web01", 3)
        let record = try decide(Alerts.firing(domain: "web01"), domains: [web])
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .domainNotAllowed)
        #expect(record.domain == "web01")
    }

    @Test func aDomainThatOptedInThroughItsMetadataIsAllowed() throws {
        let web = TestDomain("web01", 3, optedIn: true)
        #expect(try decide(Alerts.firing(domain: "web01"), domains: [web]).decision.kind == .queued)
        let noOptIn = PolicyText.yaml(domains: "metadata_opt_in: false")
        let refused = try decide(Alerts.firing(domain: "web01"), domains: [web], policy: noOptIn)
        #expect(refused.decision.reason == .domainNotAllowed)
    }

    @Test func anOrchestratedDomainIsLeftToItsOwner() throws {
        let nova = TestDomain("vm_nova", 4, orchestrator: "nova")
        let record = try decide(Alerts.firing(domain: "vm_nova"), domains: [nova])
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .orchestrated)
        #expect(record.decision.detail.contains("nova"))

        let rules = """
            rules:
              - name: start-even-nova
                alertname: KVMDomainNotRunning
                action: start
                allow_orchestrated: true
            """
        let allowed = try decide(
            Alerts.firing(domain: "vm_nova"), domains: [nova], policy: PolicyText.yaml(rules: rules))
        #expect(allowed.decision.kind == .queued)
    }

    @Test func aTransientDomainIsSkippedUnlessTheRuleAllowsIt() throws {
        let transient = TestDomain("vm_tmp", 5, persistent: false)
        let record = try decide(Alerts.firing(domain: "vm_tmp"), domains: [transient])
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .transient)

        let rules = """
            rules:
              - name: start-transient
                alertname: KVMDomainNotRunning
                action: start
                allow_transient: true
            """
        let allowed = try decide(
            Alerts.firing(domain: "vm_tmp"), domains: [transient], policy: PolicyText.yaml(rules: rules))
        #expect(allowed.decision.kind == .queued)
    }

    /// Not yet known is not a refusal: the whole notification gets a 503 and nothing is decided or audited.
    @Test func aDomainWhoseDefinitionWasNotReadMakesTheSenderRetry() throws {
        let unread = TestDomain("vm_new", 6, configRead: false)
        let harness = try EngineHarness(domains: [unread, Self.vm])
        #expect(throws: RemediationEngine.Unavailable.self) {
            try harness.handle(Alerts.firing(fingerprint: "other"), Alerts.firing(domain: "vm_new"))
        }
        #expect(try harness.auditRecords().isEmpty)
        #expect(try harness.savedState().pending.isEmpty)
    }

    @Test func everyAlertOfANotificationGetsOneRecord() throws {
        let harness = try EngineHarness(domains: [Self.vm, TestDomain("db01", 2, state: .running)])
        let message = try WebhookMessage.decode(Array(SampleNotifications.groupTruncated.utf8))
        let records = try harness.engine.handle(message, from: EngineHarness.origin)
        #expect(records.map(\.alertFingerprint) == ["0f1e2d3c4b5a6978", "1122334455667788"])
        #expect(records.map(\.decision.reason) == [.notThisHost, .resolvedNothingQueued])
        #expect(Set(records.map(\.id)).count == 2)
        #expect(try harness.auditRecords().count == 2)
    }

    @Test func nothingIsDecidedWhileLibvirtIsUnreachable() throws {
        let harness = try EngineHarness(domains: [Self.vm], libvirtUp: false)
        let stateBefore = harness.directory.read("state/remediation-state.json")
        #expect(throws: RemediationEngine.Unavailable.self) { try harness.handle(Alerts.firing()) }
        #expect(throws: RemediationEngine.Unavailable.self) {
            try harness.engine.request(.start, domain: "vm_centos7", options: ManualOptions(), from: .api("ops"))
        }
        #expect(harness.engine.recentActions().isEmpty)
        #expect(harness.telemetry.calls.decided.isEmpty)
        #expect(harness.auditText.isEmpty)
        #expect(harness.directory.read("state/remediation-state.json") == stateBefore)

        harness.setLibvirtUp(true)
        let record = try #require(try harness.handle(Alerts.firing()).first)
        #expect(record.decision.kind == .queued)
        #expect(record.id == "1")
    }
}
