import Foundation
import KVMCore
import Testing

@testable import Remediation

/// The per-domain restart budget: restored only after `stable_for` up, terminal when spent (metric, status
/// list, audit), lifted only by `release`, and kept across restarts of the agent.
@Suite struct RestartBudgetTests {
    static let vm = TestDomain("vm_flappy", 1)
    static let limits = ["max_restarts": "2", "stable_for": "10m", "cooldown": "1s", "max_actions": "100"]

    static func harness() throws -> EngineHarness {
        try EngineHarness(policy: PolicyText.yaml(limits: limits), domains: [vm])
    }

    static func alert(_ number: Int) -> Alert {
        Alerts.firing(domain: "vm_flappy", fingerprint: String(format: "%016x", number))
    }

    /// Starts the domain through an alert, lets it run `upFor` seconds, then has it go down again. Called
    /// inside the harness's `whileRunning`.
    static func restart(_ harness: EngineHarness, alert number: Int, upFor: Double) async throws -> ActionRecord {
        let record = try #require(try harness.handle(alert(number)).first)
        guard record.decision.kind == .queued else { return record }
        _ = await harness.finished(record.id)
        harness.clock.advance(by: upFor)
        harness.setDown(vm, .shutoff, at: harness.clock.now)
        harness.clock.advance(by: 5)
        return record
    }

    @Test func restartsWithoutAStablePeriodSpendTheBudgetForGood() async throws {
        let harness = try Self.harness()
        try await harness.whileRunning { try await Self.spendAndRelease(harness) }
    }

    static func spendAndRelease(_ harness: EngineHarness) async throws {
        #expect(try await Self.restart(harness, alert: 1, upFor: 60).decision.kind == .queued)
        #expect(try await Self.restart(harness, alert: 2, upFor: 60).decision.kind == .queued)
        let spent = try #require(try harness.handle(Self.alert(3)).first)
        #expect(spent.decision.kind == .skipped)
        #expect(spent.decision.reason == .restartBudgetSpent)
        #expect(spent.decision.detail.contains("left alone until released"))
        #expect(try harness.savedState().domains[Self.vm.ref.uuid]?.budgetSpentAt != nil)
        #expect(try harness.auditRecords().last?.reason == "restart_budget_spent")

        // Terminal: no amount of time lifts it.
        harness.clock.advance(by: 30 * 86_400)
        let later = try #require(try harness.handle(Self.alert(4)).first)
        #expect(later.decision.reason == .restartBudgetSpent)
        #expect(harness.controller.snapshot.count(.start) == 2)
        harness.engine.publishStatus()
        #expect(harness.telemetry.calls.budgetsSpent.last == 1)
        #expect(harness.engine.holds().map(\.kind) == [.restartBudgetSpent])

        #expect(try harness.engine.release("vm_flappy", from: .api("ops")))
        let released = try harness.auditRecords().last
        #expect(released?.decision == "released")
        #expect(released?.reason == "restart budget restored")
        #expect(released?.principal == "ops")
        #expect(try harness.handle(Self.alert(5)).first?.decision.kind == .queued)
        harness.engine.publishStatus()
        #expect(harness.telemetry.calls.budgetsSpent.last == 0)
    }

    @Test func aDomainThatStaysUpForStableForGetsItsBudgetBack() async throws {
        let harness = try Self.harness()
        try await harness.whileRunning {
            for number in 1...5 {
                let record = try await Self.restart(harness, alert: number, upFor: 11 * 60)
                #expect(record.decision.kind == .queued, "restart \(number): \(record.decision)")
            }
        }
        #expect(harness.controller.snapshot.count(.start) == 5)
    }

    /// A restart that never got the domain up (its start failed) is no stable period.
    @Test func aFailedStartDoesNotRestoreTheBudget() async throws {
        let harness = try Self.harness()
        harness.controller.failStart(Self.vm.ref, with: "internal error: process exited while connecting to monitor")
        try await harness.whileRunning {
            for number in 1...2 {
                let record = try #require(try harness.handle(Self.alert(number)).first)
                #expect(record.decision.kind == .queued)
                _ = await harness.finished(record.id)
                harness.clock.advance(by: 3600)
            }
        }
        #expect(try harness.handle(Self.alert(3)).first?.decision.reason == .restartBudgetSpent)
    }

    @Test func aSpentBudgetSurvivesARestartOfTheAgent() async throws {
        let harness = try Self.harness()
        try await harness.whileRunning {
            _ = try await Self.restart(harness, alert: 1, upFor: 1)
            _ = try await Self.restart(harness, alert: 2, upFor: 1)
        }
        #expect(try harness.handle(Self.alert(3)).first?.decision.reason == .restartBudgetSpent)
        let restarted = try harness.restarted()
        #expect(try restarted.handle(Self.alert(4)).first?.decision.reason == .restartBudgetSpent)
    }

    @Test func shutdownsDoNotCountAgainstTheBudget() throws {
        #expect(!RemediationAction.shutdown.isRestart)
        #expect([RemediationAction.start, .reset, .reboot].allSatisfy { $0.isRestart })
    }

    @Test func aHostileRestartCountInTheStateFileIsRefused() throws {
        var state = SafetyState()
        var history = SafetyState.DomainHistory(name: "vm_flappy")
        history.restarts = -1
        state.domains[Self.vm.ref.uuid] = history
        #expect(throws: (any Error).self) { try state.validate() }
        history.restarts = 2
        history.budgetSpentAt = .nan
        state.domains[Self.vm.ref.uuid] = history
        #expect(throws: (any Error).self) { try state.validate() }
    }

    @Test func policyBoundsTheBudget() throws {
        for bad in [["max_restarts": "0"], ["max_restarts": "-1"], ["stable_for": "0s"], ["max_restarts": "x"]] {
            #expect(throws: ConfigError.self, "\(bad)") {
                try Policy.parse(yaml: PolicyText.yaml(limits: bad), relativeTo: "/tmp")
            }
        }
        let policy = try Policy.parse(yaml: PolicyText.yaml(limits: Self.limits), relativeTo: "/tmp")
        #expect(policy.limits.maxRestarts == 2)
        #expect(policy.limits.stableFor == .seconds(600))
    }
}
