import Foundation
import KVMCore
import Testing

@testable import Remediation

/// What must survive a restart: dedupe keys, cooldown, quarantine, and actions that were in flight.
@Suite struct PersistenceTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2, state: .running)

    @Test func dedupeSurvivesARestart() throws {
        let first = try EngineHarness(domains: [Self.vm])
        #expect(try first.handle(Alerts.firing()).first?.decision.kind == .queued)
        let second = try first.restarted()
        let record = try #require(try second.handle(Alerts.firing()).first)
        #expect(record.decision.reason == .duplicate)
        #expect(record.id == "2")
    }

    @Test func aPendingActionIsAuditedAsInterruptedAndNotRun() async throws {
        let first = try EngineHarness(domains: [Self.vm, Self.db])
        let queued = try #require(try first.handle(Alerts.firing()).first)
        #expect(try first.savedState().pending[queued.id] != nil)

        let second = try first.restarted()
        let interrupted = try #require(second.engine.action(id: queued.id))
        #expect(interrupted.status == .interrupted)
        #expect(interrupted.error?.contains("not run again") == true)
        #expect(interrupted.domain == "vm_centos7")
        #expect(try second.savedState().pending.isEmpty)
        let outcome = try #require(try second.auditRecords().last)
        #expect(outcome.event == .outcome)
        #expect(outcome.actionID == queued.id)
        #expect(outcome.result == "interrupted")

        let other = try #require(
            try second.handle(Alerts.firing("KVMDomainHung", domain: "db01", fingerprint: "f2")).first)
        let finished = await second.whileRunning { await second.finished(other.id) }
        #expect(finished?.result == .success)
        #expect(second.controller.snapshot.count(.start) == 0)
        #expect(second.engine.action(id: queued.id)?.status == .interrupted)
    }

    /// `systemctl stop` while an action runs: its outcome is audited as the agent stops, once.
    @Test func anActionRunningAtShutdownIsAuditedThenAndNotAgain() async throws {
        let first = try EngineHarness(domains: [Self.vm])
        let queued = try #require(try first.handle(Alerts.firing()).first)
        first.engine.interruptPending()
        let outcome = try #require(try first.auditRecords().last)
        #expect(outcome.event == .outcome)
        #expect(outcome.actionID == queued.id)
        #expect(outcome.result == "interrupted")
        #expect(try first.savedState().pending.isEmpty)
        #expect(first.engine.action(id: queued.id)?.status == .interrupted)
        let lines = try first.auditRecords().count

        let second = try first.restarted()
        #expect(try second.auditRecords().count == lines, "no second outcome line at the next start")
        #expect(second.controller.snapshot.count(.start) == 0)
    }

    @Test func cooldownAndQuarantineSurviveRestarts() throws {
        let policy = PolicyText.yaml(limits: ["max_actions": "1", "cooldown": "60s"])
        let first = try EngineHarness(policy: policy, domains: [Self.vm])
        #expect(try first.handle(Alerts.firing(fingerprint: "a")).first?.decision.kind == .queued)

        let second = try first.restarted()
        #expect(try second.handle(Alerts.firing(fingerprint: "b")).first?.decision.reason == .cooldown)
        second.clock.advance(by: 61)
        #expect(try second.handle(Alerts.firing(fingerprint: "c")).first?.decision.reason == .quarantined)

        let third = try second.restarted()
        let record = try #require(try third.handle(Alerts.firing(fingerprint: "d")).first)
        #expect(record.decision.reason == .quarantined)
        #expect(record.decision.detail.contains("until released or expired"))
        third.engine.publishStatus()
        #expect(third.telemetry.calls.statuses.last?.quarantined == 1)
    }

    @Test func aCorruptStateFileIsAnError() throws {
        let directory = try TemporaryDirectory()
        try directory.write("state.json", "{\"version\": 1, \"domains\": ")
        let error = try #require(throws: DurableFile.Failure.self) {
            try StateFile(path: directory.file("state.json")).load()
        }
        #expect(error.description.contains(directory.file("state.json")))

        try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
        try directory.write("state/remediation-state.json", "not json")
        #expect(throws: DurableFile.Failure.self) { try EngineHarness(domains: [Self.vm], directory: directory) }
    }

    @Test func aMissingStateFileIsAnEmptyState() throws {
        let directory = try TemporaryDirectory()
        #expect(try StateFile(path: directory.file("absent.json")).load() == SafetyState())
    }

    @Test func theStateFileRoundTrips() throws {
        let directory = try TemporaryDirectory()
        var state = SafetyState()
        state.seen["fp|2026-11-26T10:15:02Z|start"] = 1_795_000_000
        state.domains["uuid"] = SafetyState.DomainHistory(
            name: "vm", actionTimes: [1, 2], quarantinedAt: 3, quarantineUntil: nil)
        state.nextActionNumber = 42
        let file = StateFile(path: directory.file("state.json"))
        try file.save(state)
        #expect(try file.load() == state)
    }

    @Test func replaceLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("data")
        try DurableFile.replace(path, with: Array("first".utf8))
        try DurableFile.replace(path, with: Array("second, longer".utf8))
        #expect(try DurableFile.read(path) == Array("second, longer".utf8))
        #expect(directory.contents() == ["data"])
        #expect(try DurableFile.read(directory.file("absent")) == nil)
    }

    @Test func appendAddsWholeRecords() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("log")
        try DurableFile.append(path, Array("one\n".utf8))
        try DurableFile.append(path, Array("two\n".utf8))
        #expect(directory.read("log") == "one\ntwo\n")
    }

    @Test func replaceIntoAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: DurableFile.Failure.self) {
            try DurableFile.replace(directory.file("missing/data"), with: [1])
        }
        #expect(directory.contents().isEmpty)
    }
}
