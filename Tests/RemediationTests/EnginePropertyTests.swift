import KVMCore
import PropertyBased
import TestSupport
import Testing

@testable import Remediation

/// Random notifications through the engine with a random policy and inventory: the invariants that keep a
/// production host safe hold for every one.
@Suite struct EnginePropertyTests {
    @Test func safetyInvariantsHold() async throws {
        await checkProperty(count: 250, input: Gen<UInt64>.value()) { seed in
            _ = try Self.check(seed: seed)
        }
    }

    /// The same checks over fixed seeds, so that the proof that they were exercised (not vacuous) does not depend
    /// on a run's random seeds: cooldowns are rare enough that 250 random cases once missed them. (Quarantine is
    /// rarer still, since queued actions are never run here; SafetyDecisionTests reach it on purpose.)
    @Test func invariantsAreExercised() throws {
        var seen: [Reason: Int] = [:]
        for seed in UInt64(1)...250 {
            seen.merge(try Self.check(seed: seed), uniquingKeysWith: +)
        }
        for reason in [
            Reason.ruleMatched, .duplicate, .actionPending, .resolvedCancelled, .cooldown, .configNotRead,
        ] {
            #expect(seen[reason, default: 0] > 0, "no \(reason.rawValue) decision in any case")
        }
    }

    /// Runs one scenario, checking the invariants, and counts the decisions it reached.
    private static func check(seed: UInt64) throws -> [Reason: Int] {
        var seen: [Reason: Int] = [:]
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
                let records: [ActionRecord]
                do {
                    records = try harness.engine.handle(step.message, from: EngineHarness.origin)
                } catch let error as RemediationEngine.Unavailable {
                    // An alert for a domain whose definition is not read yet refuses the whole message (503, so
                    // that Alertmanager retries soon); nothing of it was decided, so the invariants below hold.
                    #expect(scenario.domains.contains { !$0.configRead }, "\(error) (seed \(seed))")
                    seen[.configNotRead, default: 0] += 1
                    continue
                }
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
        return seen
    }
}
