import KVMCore
import Testing

@testable import Remediation

/// A resolved alert cancels its queued action, leaves a running one alone, and never does the inverse.
@Suite struct ResolvedAlertTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2, state: .running)

    @Test func aResolvedAlertCancelsItsQueuedAction() async throws {
        let harness = try EngineHarness(domains: [Self.vm, Self.db])
        let alert = Alerts.firing()
        let queued = try #require(try harness.handle(alert).first)
        let cancel = try #require(try harness.handle(Alerts.resolved(alert)).first)
        #expect(cancel.decision.kind == .cancelled)
        #expect(cancel.decision.reason == .resolvedCancelled)
        #expect(cancel.decision.detail.contains(queued.id))
        #expect(harness.engine.action(id: queued.id)?.status == .cancelled)
        #expect(try harness.savedState().pending.isEmpty)
        // The queued action's story ends in the audit log: decided, then cancelled.
        let lines = try harness.auditRecords().filter { $0.actionID == queued.id }
        #expect(lines.map(\.event) == [.decision, .outcome], "\(lines)")
        #expect(lines.last?.result == "cancelled")
        #expect(lines.last?.domain == "vm_centos7")
        #expect(lines.last?.detail?.contains("resolved") == true)

        // The executor, once running, never starts the cancelled action.
        let other = try #require(
            try harness.handle(Alerts.firing("KVMDomainHung", domain: "db01", fingerprint: "f2")).first)
        let finished = await harness.whileRunning { await harness.finished(other.id) }
        #expect(finished?.result == .success)
        #expect(harness.controller.snapshot.count(.start) == 0)
        #expect(harness.controller.snapshot.count(.shutdown, "db01") == 1)
    }

    /// Alertmanager may send the firing and the resolved state of one alert in one group notification.
    @Test func aResolvedAlertLaterInTheSameNotificationCancels() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let alert = Alerts.firing()
        let records = try harness.handle(alert, Alerts.resolved(alert))
        #expect(records.map(\.decision.kind) == [.queued, .cancelled])
        #expect(try harness.savedState().pending.isEmpty)
        #expect(harness.engine.action(id: records[0].id)?.status == .cancelled)
    }

    @Test func aResolvedAlertCancelsAnActionQueuedBehindARunningOne() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        harness.controller.hang(Self.vm.ref)
        let stop = Alerts.firing("KVMDomainHung", fingerprint: "stop")
        let results = try await harness.whileRunning { () async throws -> [ActionRecord.Status?] in
            let start = try #require(try harness.handle(Alerts.firing(fingerprint: "start")).first)
            #expect(await harness.controller.waitForCalls(.start, Self.vm.ref))
            harness.clock.advance(by: 120)
            let queued = try #require(try harness.handle(stop).first)
            #expect(queued.decision.kind == .queued)
            let cancel = try #require(try harness.handle(Alerts.resolved(stop)).first)
            #expect(cancel.decision.reason == .resolvedCancelled)
            harness.controller.release(Self.vm.ref)
            _ = await harness.finished(start.id)
            return [harness.engine.action(id: start.id)?.status, harness.engine.action(id: queued.id)?.status]
        }
        #expect(results == [.finished, .cancelled])
        #expect(harness.controller.snapshot.count(.shutdown) == 0)
        #expect(try harness.savedState().pending.isEmpty)
    }

    @Test func onlyTheSameOccurrenceCancels() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let alert = Alerts.firing()
        let queued = try #require(try harness.handle(alert).first)
        var earlier = Alerts.resolved(alert)
        earlier.startsAt = "2026-11-25T10:00:00Z"
        let record = try #require(try harness.handle(earlier).first)
        #expect(record.decision.reason == .resolvedNothingQueued)
        #expect(harness.engine.action(id: queued.id)?.status == .queued)
    }

    @Test func aResolvedAlertLeavesARunningActionToFinish() async throws {
        let harness = try EngineHarness(domains: [Self.vm])
        harness.controller.hang(Self.vm.ref)
        let alert = Alerts.firing()
        let queued = try #require(try harness.handle(alert).first)
        let finished = try await harness.whileRunning { () async throws -> ActionRecord? in
            #expect(await harness.controller.waitForCalls(.start, Self.vm.ref))
            let record = try #require(try harness.handle(Alerts.resolved(alert)).first)
            #expect(record.decision.kind == .nothingToDo)
            #expect(record.decision.reason == .resolvedInFlight)
            #expect(harness.engine.action(id: queued.id)?.status == .running)
            harness.controller.release(Self.vm.ref)
            return await harness.finished(queued.id)
        }
        #expect(finished?.result == .success)
        #expect(harness.controller.snapshot.count(.shutdown) == 0)
    }

    @Test func aResolvedAlertWithNothingQueuedDoesNothing() async throws {
        let harness = try EngineHarness(domains: [TestDomain("db01", 2, state: .running)])
        let record = try #require(try harness.handle(Alerts.resolved(Alerts.firing(domain: "db01"))).first)
        #expect(record.decision.kind == .nothingToDo)
        #expect(record.decision.reason == .resolvedNothingQueued)
        #expect(record.action == nil)
        #expect(try harness.savedState().pending.isEmpty)
        #expect(harness.controller.snapshot.calls.isEmpty)
    }
}
