import KVMCore
import Testing

@testable import Remediation

/// Pending actions, cooldown, rate limit and quarantine, the breaker and dedupe.
@Suite struct SafetyDecisionTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2, state: .running)

    /// Alerts for vm_centos7 that differ in when they started, so none is a duplicate of another.
    static func occurrence(_ number: Int) -> Alert {
        Alerts.firing(fingerprint: "6a3c1f0d9b2e4c7a", startsAt: "2026-11-26T10:\(10 + number):00Z")
    }

    @Test func aSecondActionOfTheSameKindWaitsForTheFirst() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let first = try #require(try harness.handle(Self.occurrence(1)).first)
        let second = try #require(try harness.handle(Self.occurrence(2)).first)
        #expect(first.decision.kind == .queued)
        #expect(second.decision.kind == .skipped)
        #expect(second.decision.reason == .actionPending)
        #expect(second.decision.detail.contains(first.id))
        // Two alerts in one notification: the second sees the first's plan.
        let both = try harness.handle(
            Self.occurrence(3), Alerts.firing(fingerprint: "other", startsAt: "2026-11-26T11:00:00Z"))
        #expect(both.map(\.decision.reason) == [.actionPending, .actionPending])
        #expect(try harness.savedState().pending.count == 1)
    }

    /// Alerts later in a notification do not see the plan an earlier one queued (plans join the queue when the
    /// whole notification is committed), so their reasons are cooldown or the current state rather than
    /// action_pending; what matters is that only one action is queued.
    @Test func twoAlertsForOneDomainInOneNotificationActOnce() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let records = try harness.handle(
            Alerts.firing(fingerprint: "a"), Alerts.firing(fingerprint: "b"),
            Alerts.firing("KVMDomainHung", fingerprint: "c"))
        // The second start sees the first one queued; the shutdown is judged by where the queued start
        // leads and meets its cooldown.
        #expect(records.map(\.decision.kind) == [.queued, .skipped, .skipped])
        #expect(records.map(\.decision.reason) == [.ruleMatched, .actionPending, .cooldown])
        #expect(try harness.savedState().pending.count == 1)
    }

    @Test func cooldownBlocksUntilItHasPassed() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let first = try #require(try harness.handle(Self.occurrence(1)).first)
        let finished = await harness.whileRunning { await harness.finished(first.id) }
        #expect(finished?.result == .success)
        // The domain falls over again at once.
        harness.setState(Self.vm, .shutoff)
        harness.clock.advance(by: 59)
        let blocked = try #require(try harness.handle(Self.occurrence(2)).first)
        #expect(blocked.decision.kind == .skipped)
        #expect(blocked.decision.reason == .cooldown)
        #expect(blocked.decision.detail.contains("59 s ago"))
        harness.clock.advance(by: 1)
        let allowed = try #require(try harness.handle(Self.occurrence(3)).first)
        #expect(allowed.decision.kind == .queued)
    }

    /// A state file from an earlier run in which vm_centos7 was acted on at the given times.
    private func seededHarness(
        actionsAt offsets: [Double], limits: [String: String], clock: ManualClock = ManualClock()
    ) throws -> EngineHarness {
        let directory = try TemporaryDirectory()
        var state = SafetyState()
        state.domains[Self.vm.ref.uuid] = SafetyState.DomainHistory(
            name: "vm_centos7", actionTimes: offsets.map { clock.now + $0 })
        try EngineHarness.seed(directory, with: state)
        return try EngineHarness(
            policy: PolicyText.yaml(limits: limits), domains: [Self.vm], directory: directory, clock: clock)
    }

    @Test func reachingMaxActionsQuarantinesUntilReleased() throws {
        let harness = try seededHarness(
            actionsAt: [-300, -200], limits: ["max_actions": "2", "cooldown": "1s", "quarantine_for": "until_released"])
        let first = try #require(try harness.handle(Self.occurrence(1)).first)
        #expect(first.decision.kind == .skipped)
        #expect(first.decision.reason == .quarantined)
        #expect(first.decision.detail == "2 actions on vm_centos7 within 3600 s; quarantined")
        let history = try #require(try harness.savedState().domains[Self.vm.ref.uuid])
        #expect(history.quarantinedAt == harness.clock.now)
        #expect(history.quarantineUntil == nil)

        harness.clock.advance(by: 7 * 86_400)
        let later = try #require(try harness.handle(Self.occurrence(2)).first)
        #expect(later.decision.reason == .quarantined)
        harness.engine.publishStatus()
        #expect(harness.telemetry.calls.statuses.last?.quarantined == 1)

        #expect(try harness.engine.release("vm_centos7", from: .api("ops")))
        #expect(try !harness.engine.release("vm_centos7", from: .api("ops")))
        let released = try harness.auditRecords().last
        #expect(released?.decision == "released")
        #expect(released?.principal == "ops")
        let after = try #require(try harness.handle(Self.occurrence(3)).first)
        #expect(after.decision.kind == .queued)
    }

    @Test func aQuarantineExpires() throws {
        let harness = try seededHarness(
            actionsAt: [-100, -50],
            limits: ["max_actions": "2", "cooldown": "1s", "window": "5m", "quarantine_for": "10m"])
        #expect(try harness.handle(Self.occurrence(1)).first?.decision.reason == .quarantined)
        harness.clock.advance(by: 599)
        #expect(try harness.handle(Self.occurrence(2)).first?.decision.reason == .quarantined)
        harness.clock.advance(by: 1)
        #expect(try harness.handle(Self.occurrence(3)).first?.decision.kind == .queued)
    }

    /// Once a quarantine has run out there is nothing left to release.
    @Test func anExpiredQuarantineIsNotReleasedAgain() throws {
        let harness = try seededHarness(
            actionsAt: [-100, -50],
            limits: ["max_actions": "2", "cooldown": "1s", "window": "5m", "quarantine_for": "10m"])
        #expect(try harness.handle(Self.occurrence(1)).first?.decision.reason == .quarantined)
        harness.clock.advance(by: 600)
        #expect(try !harness.engine.release("vm_centos7", from: .api("ops")))
        #expect(try harness.handle(Self.occurrence(2)).first?.decision.kind == .queued)
    }

    @Test func releasingAnUnknownDomainThrows() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        #expect(throws: RemediationEngine.UnknownDomain.self) { try harness.engine.release("ghost", from: .api("ops")) }
        #expect(try !harness.engine.release("vm_centos7", from: .api("ops")))
    }

    /// Four managed domains, `down` of them down in one of the three ways, plus an unmanaged one down.
    private func breakerHarness(down: Int, minDomains: Int = 4) throws -> EngineHarness {
        let domains = [
            TestDomain("vm_a", 11, state: .shutoff, autostart: true),
            TestDomain("vm_b", 12, state: down >= 2 ? .crashed : .running),
            TestDomain("vm_c", 13, state: down >= 3 ? .shutoff : .running, reason: "crashed"),
            TestDomain("vm_d", 14, state: .running),
            TestDomain("web01", 15, state: .crashed),
        ]
        let breaker = ["max_down_ratio": "0.5", "min_domains": "\(minDomains)"]
        return try EngineHarness(policy: PolicyText.yaml(breaker: breaker), domains: domains)
    }

    @Test func theBreakerOpensWhenMoreThanTheRatioIsDown() throws {
        let open = try breakerHarness(down: 3)
        let record = try #require(try open.handle(Alerts.firing(domain: "vm_a")).first)
        #expect(record.decision.kind == .skipped)
        #expect(record.decision.reason == .breakerOpen)
        #expect(record.decision.detail.hasPrefix("3 of 4 managed domains are down"))
        open.engine.publishStatus()
        #expect(open.telemetry.calls.statuses.last?.breakerOpen == true)

        let closed = try breakerHarness(down: 2)
        #expect(try closed.handle(Alerts.firing(domain: "vm_a")).first?.decision.kind == .queued)
        closed.engine.publishStatus()
        #expect(closed.telemetry.calls.statuses.last?.breakerOpen == false)

        let fewDomains = try breakerHarness(down: 3, minDomains: 5)
        #expect(try fewDomains.handle(Alerts.firing(domain: "vm_a")).first?.decision.kind == .queued)
    }

    @Test func theSameNotificationTwiceActsOnce() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let message = Alerts.message(Alerts.firing())
        let first = try harness.engine.handle(message, from: EngineHarness.origin)
        let second = try harness.engine.handle(message, from: EngineHarness.origin)
        #expect(first.map(\.decision.kind) == [.queued])
        #expect(second.map(\.decision.kind) == [.skipped])
        #expect(second.map(\.decision.reason) == [.duplicate])
        #expect(try harness.savedState().pending.count == 1)
    }

    @Test func aNewStartsAtActsAgainOnceTheFirstActionIsDone() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let first = try #require(try harness.handle(Self.occurrence(1)).first)
        #expect(await harness.whileRunning { await harness.finished(first.id) }?.result == .success)
        harness.setState(Self.vm, .shutoff)
        harness.clock.advance(by: 120)
        #expect(try harness.handle(Self.occurrence(1)).first?.decision.reason == .duplicate)
        #expect(try harness.handle(Self.occurrence(2)).first?.decision.kind == .queued)
    }
}
