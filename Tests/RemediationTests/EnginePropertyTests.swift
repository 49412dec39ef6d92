import KVMCore
import PropertyBased
import Testing

@testable import Remediation

/// Random notifications through the engine with a random policy and inventory: the invariants that keep a
/// production host safe hold for every one.
@Suite struct EnginePropertyTests {
    @Test func safetyInvariantsHold() async throws {
        // Decisions seen over all cases, so the test shows that the invariants were exercised, not vacuous.
        var seen: [Reason: Int] = [:]
        await propertyCheck(count: 250, input: Gen<UInt64>.value()) { seed in
            let scenario = RandomScenario(seed: seed)
            let harness = try EngineHarness(policy: scenario.policyText, domains: scenario.domains)
            let policy = harness.policy
            var queuedKeys: Set<String> = []
            var queuedTimes: [String: [Double]] = [:]
            for step in scenario.steps {
                harness.clock.advance(by: step.advance)
                // Every message twice, as Alertmanager retries. A redelivery may act on an alert the first
                // delivery refused (say, because a resolved alert later in the message cancelled the action it
                // waited for), but never on one that was acted on already: see `queuedKeys`.
                for _ in 1...2 {
                    let records = try harness.engine.handle(step.message, from: EngineHarness.origin)
                    try #require(records.count == step.message.alerts.count, "one record per alert (seed \(seed))")
                    for (alert, record) in zip(step.message.alerts, records) {
                        seen[record.decision.reason, default: 0] += 1
                        #expect(record.alertFingerprint == alert.fingerprint)
                        if alert.status == .resolved {
                            #expect([.cancelled, .nothingToDo].contains(record.decision.kind))
                        }
                        guard record.decision.kind == .queued else { continue }
                        let rule = try #require(policy.rules.first { $0.matches(alert.labels) })
                        #expect(!(rule.dryRun ?? policy.dryRun), "queued under dry run (seed \(seed))")
                        #expect(scenario.mayAct(on: alert), "queued for \(alert.labels) (seed \(seed))")
                        let key = "\(alert.fingerprint)|\(alert.startsAt)|\(rule.action.rawValue)"
                        #expect(queuedKeys.insert(key).inserted, "\(key) queued twice (seed \(seed))")
                        let uuid = try #require(record.domainUUID)
                        queuedTimes[uuid, default: []].append(harness.clock.now)
                    }
                    let since = harness.clock.now - policy.limits.window.seconds
                    for (uuid, times) in queuedTimes {
                        let recent = times.filter { $0 >= since }.count
                        #expect(recent <= policy.limits.maxActions, "\(recent) actions on \(uuid) (seed \(seed))")
                    }
                }
            }
        }
        for reason in [Reason.ruleMatched, .duplicate, .actionPending, .resolvedCancelled] {
            #expect(seen[reason, default: 0] > 0, "no \(reason.rawValue) decision in any case")
        }
        #expect(seen[.cooldown, default: 0] + seen[.quarantined, default: 0] > 0)
    }
}
