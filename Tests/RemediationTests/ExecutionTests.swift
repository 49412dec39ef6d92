import Foundation
import KVMCore
import Testing

@testable import Remediation

/// Queued actions executed by `run()` against the fake controller.
@Suite struct ExecutionTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2, state: .running)

    @Test func aStartConfirmedByItsEventSucceedsAndIsAudited() async throws {
        let token = "9b2f6e1d0c4a8e37f5b1d2c9a6e0f384"
        let tokens = try AccessTokens.parse("alertmanager webhook \(token)\n")
        let principal = try #require(tokens.authenticate(token))
        let payloadSecret = "annotation text that must stay out of the audit"
        let body = SampleNotifications.firing.replacingOccurrences(
            of: "vm_centos7 is shut off but marked autostart", with: payloadSecret)
        let message = try WebhookMessage.decode(Array(body.utf8))

        let harness = try EngineHarness(domains: [Self.vm])
        let queued = try #require(try harness.engine.handle(message, from: .webhook(principal.name)).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(record?.stateBefore == "shutoff")
        #expect(record?.stateAfter == "running")
        #expect(record?.error == nil)
        #expect((record?.durationSeconds ?? -1) >= 0)
        #expect(
            harness.controller.snapshot.calls.map(\.description) == [
                "state(vm_centos7)", "start(vm_centos7)", "state(vm_centos7)",
            ])
        #expect(harness.telemetry.calls.finished == [.init(action: .start, result: .success)])
        #expect(harness.currentInventory.domains[Self.vm.ref.uuid]?.state == .running)
        #expect(try harness.savedState().pending.isEmpty)

        let audit = try harness.auditRecords()
        try #require(audit.count == 2)
        let (decision, outcome) = (audit[0], audit[1])
        #expect(decision.event == .decision)
        #expect(decision.actionID == queued.id)
        #expect(decision.source == "alertmanager")
        #expect(decision.principal == "alertmanager")
        #expect(decision.alertFingerprint == "6a3c1f0d9b2e4c7a")
        #expect(decision.alertName == "KVMDomainNotRunning")
        #expect(decision.domain == "vm_centos7")
        #expect(decision.domainUUID == Self.vm.ref.uuid)
        #expect(decision.action == "start")
        #expect(decision.decision == "queued")
        #expect(decision.reason == "rule_matched")
        #expect(decision.dryRun == false)
        #expect(decision.result == nil)
        #expect(outcome.event == .outcome)
        #expect(outcome.actionID == queued.id)
        #expect(outcome.result == "success")
        #expect(outcome.stateBefore == "shutoff")
        #expect(outcome.stateAfter == "running")
        #expect(outcome.libvirtError == nil)
        #expect(outcome.durationSeconds != nil)
        #expect(!harness.auditText.contains(token))
        #expect(!harness.auditText.contains(payloadSecret))
        #expect(!harness.auditText.contains("generatorURL"))
    }

    @Test func startOfADomainThatIsRunningByThenIsANoop() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let queued = try #require(try harness.handle(Alerts.firing()).first)
        harness.controller.setState(Self.vm.ref, .running)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .noop)
        #expect(harness.controller.snapshot.count(.start) == 0)
        #expect(try harness.auditRecords().last?.result == "noop")
    }

    @Test func aPausedDomainIsResumed() async throws {
        let harness = try EngineHarness(domains: [TestDomain("vm_centos7", 1, state: .paused)])
        let queued = try #require(try harness.handle(Alerts.firing()).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(harness.controller.snapshot.count(.resume) == 1)
        #expect(harness.controller.snapshot.count(.start) == 0)
    }

    @Test func aGracefulShutdownSucceeds() async throws {
        let harness = try EngineHarness(domains: [Self.db])
        let queued = try #require(try harness.handle(Alerts.firing("KVMDomainHung", domain: "db01")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .success)
        #expect(record?.stateAfter == "shutoff")
        #expect(harness.controller.snapshot.count(.destroy) == 0)
    }

    @Test func anIgnoredShutdownTimesOutWhenForceIsNotAllowed() async throws {
        let harness = try EngineHarness(domains: [Self.db])
        harness.controller.ignoreShutdown(Self.db.ref)
        let queued = try #require(try harness.handle(Alerts.firing("KVMDomainHung", domain: "db01")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .timeout)
        #expect(record?.error?.contains("still running") == true)
        #expect(record?.stateAfter == "running")
        #expect(harness.controller.snapshot.count(.shutdown) == 1)
        #expect(harness.controller.snapshot.count(.destroy) == 0)
        #expect(harness.telemetry.calls.finished == [.init(action: .shutdown, result: .timeout)])
    }

    @Test func anIgnoredShutdownIsForcedWhenTheRuleSaysSo() async throws {
        let rules = """
            rules:
              - name: stop-hung
                alertname: KVMDomainHung
                action: shutdown
                shutdown_timeout: 200ms
                force_after_timeout: true
            """
        let harness = try EngineHarness(
            policy: PolicyText.yaml(limits: ["force_timeout": "500ms"], rules: rules), domains: [Self.db])
        harness.controller.ignoreShutdown(Self.db.ref)
        let queued = try #require(try harness.handle(Alerts.firing("KVMDomainHung", domain: "db01")).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .forced)
        #expect(record?.stateAfter == "shutoff")
        #expect(harness.controller.snapshot.count(.destroy) == 1)
        #expect(harness.controller.state(of: Self.db.ref) == .shutoff)
        #expect(try harness.auditRecords().last?.result == "forced")
    }

    @Test func aLibvirtErrorOnStartFailsTheAction() async throws {
        let message = "internal error: process exited while connecting to monitor"
        let harness = try EngineHarness(domains: [Self.vm])
        harness.controller.failStart(Self.vm.ref, with: message)
        let queued = try #require(try harness.handle(Alerts.firing()).first)
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .failed)
        #expect(record?.error?.contains(message) == true)
        #expect(record?.stateAfter == "shutoff")
        let outcome = try harness.auditRecords().last
        #expect(outcome?.result == "failed")
        #expect(outcome?.libvirtError?.contains(message) == true)
        #expect(harness.telemetry.calls.finished == [.init(action: .start, result: .failed)])
    }

    private func twoHungStarts(concurrency: Int) throws -> (EngineHarness, [TestDomain]) {
        let domains = [TestDomain("vm_a", 11), TestDomain("vm_b", 12)]
        let harness = try EngineHarness(
            policy: PolicyText.yaml(limits: ["concurrency": "\(concurrency)"]), domains: domains)
        for domain in domains { harness.controller.hang(domain.ref) }
        return (harness, domains)
    }

    @Test func theGlobalConcurrencyCapHolds() async throws {
        let (harness, domains) = try twoHungStarts(concurrency: 1)
        let records = try harness.handle(
            Alerts.firing(domain: "vm_a", fingerprint: "a"), Alerts.firing(domain: "vm_b", fingerprint: "b"))
        #expect(records.map(\.decision.kind) == [.queued, .queued])
        let finished = await harness.whileRunning { () async -> Int in
            #expect(await harness.controller.waitForCalls(.start))
            let second = await harness.controller.observed.wait(within: .milliseconds(200)) { $0.count(.start) >= 2 }
            #expect(!second, "a second start began while the first was still in flight")
            for domain in domains { harness.controller.release(domain.ref) }
            _ = await harness.telemetry.waitForFinished(2)
            return harness.telemetry.calls.finished.count
        }
        #expect(finished == 2)
        #expect(harness.controller.snapshot.maxInFlight == 1)
        #expect(harness.controller.snapshot.count(.start) == 2)
    }

    @Test func withRoomForTwoBothStartsRunAtOnce() async throws {
        let (harness, domains) = try twoHungStarts(concurrency: 2)
        try harness.handle(
            Alerts.firing(domain: "vm_a", fingerprint: "a"), Alerts.firing(domain: "vm_b", fingerprint: "b"))
        let both = await harness.whileRunning { () async -> Bool in
            let both = await harness.controller.observed.wait { $0.totalInFlight == 2 }
            for domain in domains { harness.controller.release(domain.ref) }
            _ = await harness.telemetry.waitForFinished(2)
            return both
        }
        #expect(both)
        #expect(harness.controller.snapshot.maxInFlight == 2)
    }

    @Test func oneActionAtATimePerDomain() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        harness.controller.hang(Self.vm.ref)
        let start = try #require(try harness.handle(Alerts.firing(fingerprint: "start")).first)
        let results = try await harness.whileRunning { () async throws -> [ActionResult?] in
            #expect(await harness.controller.waitForCalls(.start))
            harness.clock.advance(by: 120)
            let stop = try #require(try harness.handle(Alerts.firing("KVMDomainHung", fingerprint: "stop")).first)
            #expect(stop.decision.kind == .queued)
            let early = await harness.controller.observed.wait(within: .milliseconds(200)) { $0.count(.shutdown) > 0 }
            #expect(!early, "the shutdown began while the start was in flight")
            harness.controller.release(Self.vm.ref)
            return [await harness.finished(start.id)?.result, await harness.finished(stop.id)?.result]
        }
        #expect(results == [.success, .success])
        let actions = harness.controller.snapshot.calls.filter { $0.method != .state }.map(\.method)
        #expect(actions == [.start, .shutdown])
        #expect(harness.controller.snapshot.maxInFlightPerDomain == 1)
    }
}
