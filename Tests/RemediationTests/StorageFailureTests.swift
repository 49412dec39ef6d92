import Dispatch
import Foundation
import KVMCore
import Logging
import Testing

@testable import Remediation

/// An audit log or state file that cannot be written refuses every action, says so once, and recovers
/// when it can be written again; disk writes never hold up a scrape.
@Suite struct StorageFailureTests {
    static let vm = TestDomain("vm_centos7", 1)

    private func messages(_ harness: EngineHarness, containing text: String) -> [LoggedMessage] {
        harness.logs.value.filter { $0.message.contains(text) }
    }

    /// The agent runs as root in tests, and root writes through any mode bits: a directory where the log
    /// should be is what no one can open for appending.
    @Test func anUnwritableAuditLogRefusesActionsUntilItCanBeWrittenAgain() throws {
        let harness = try EngineHarness(domains: [Self.vm])
        let auditPath = harness.directory.file("audit.jsonl")
        try FileManager.default.removeItem(atPath: auditPath)
        try FileManager.default.createDirectory(atPath: auditPath, withIntermediateDirectories: false)
        for _ in 0..<3 {
            let refused = #expect(throws: RemediationEngine.Unavailable.self) { try harness.handle(Alerts.firing()) }
            #expect(refused?.description.contains("audit log") == true, "\(String(describing: refused))")
        }
        #expect(throws: RemediationEngine.Unavailable.self) {
            try harness.engine.request(.start, domain: "vm_centos7", options: ManualOptions(), from: .api("ops"))
        }
        // Nothing decided, saved or done.
        #expect(harness.engine.recentActions().isEmpty)
        #expect(harness.telemetry.calls.decided.isEmpty)
        #expect(try harness.savedState().pending.isEmpty)
        #expect(try harness.savedState().nextActionNumber == 1)
        #expect(harness.controller.snapshot.calls.isEmpty)
        // Shown in readiness, the metric and the log: once, not per request.
        #expect(harness.engine.storageProblem()?.contains("cannot write the audit log \(auditPath)") == true)
        #expect(harness.telemetry.calls.writable == ["audit_log": false, "state_file": true])
        #expect(messages(harness, containing: "cannot write the audit log").count == 1)
        #expect(messages(harness, containing: "cannot write the audit log").first?.level == .error)

        try FileManager.default.removeItem(atPath: auditPath)
        #expect(harness.engine.storageProblem() == nil)
        #expect(harness.telemetry.calls.writable == ["audit_log": true, "state_file": true])
        #expect(messages(harness, containing: "can be written again").count == 1)
        let queued = try #require(try harness.handle(Alerts.firing()).first)
        #expect(queued.decision.kind == .queued)
        #expect(try harness.auditRecords().map(\.actionID) == [queued.id])
    }

    /// The log can be opened but a write fails (a full disk): the decision is undone, on disk too.
    @Test func aDecisionWhoseAuditLineCannotBeWrittenIsNotTaken() throws {
        let harness = try EngineHarness(domains: [Self.vm]) { files in
            var failing = files
            failing.appendAudit = { _ in throw DurableFile.Failure(description: "write audit.jsonl: No space left") }
            return failing
        }
        let refused = #expect(throws: RemediationEngine.Unavailable.self) { try harness.handle(Alerts.firing()) }
        #expect(refused?.description.contains("No space left") == true)
        #expect(harness.engine.recentActions().isEmpty)
        #expect(try harness.savedState().pending.isEmpty)
        #expect(try harness.savedState().nextActionNumber == 1)
        #expect(try harness.savedState().seen.isEmpty)
        #expect(harness.telemetry.calls.writable["audit_log"] == false)
    }

    /// A state file that could not be saved shows on readiness until a save works again.
    @Test func anUnsavableStateFileShowsUntilASaveWorks() throws {
        let broken = Observed(false)
        let harness = try EngineHarness(domains: [Self.vm]) { files in
            var flaky = files
            flaky.saveState = { state in
                if broken.value { throw DurableFile.Failure(description: "rename: Read-only file system") }
                try files.saveState(state)
            }
            return flaky
        }
        broken.update { $0 = true }
        #expect(throws: RemediationEngine.Unavailable.self) { try harness.handle(Alerts.firing()) }
        #expect(harness.engine.recentActions().isEmpty)
        #expect(harness.engine.storageProblem()?.contains("cannot write the state file") == true)
        #expect(harness.telemetry.calls.writable["state_file"] == false)
        broken.update { $0 = false }
        #expect(harness.engine.storageProblem() == nil)
        #expect(try harness.handle(Alerts.firing()).first?.decision.kind == .queued)
    }

    /// `publishStatus` runs before every scrape renders: it must not wait while a decision is being saved.
    @Test func scrapesAndTheActionListDoNotWaitForADiskWrite() async throws {
        let blocking = Observed(false)
        let writing = Observed(false)
        let release = DispatchSemaphore(value: 0)
        let harness = try EngineHarness(domains: [Self.vm]) { files in
            var slow = files
            slow.saveState = { state in
                if blocking.value {
                    writing.update { $0 = true }
                    release.wait()
                }
                try files.saveState(state)
            }
            return slow
        }
        blocking.update { $0 = true }
        let answered = Observed<[ActionRecord]?>(nil)
        DispatchQueue.global().async {
            let records = try? harness.handle(Alerts.firing())
            answered.update { $0 = records ?? [] }
        }
        #expect(await writing.wait(within: .seconds(5)) { $0 })
        let read = Observed(false)
        DispatchQueue.global().async {
            harness.engine.publishStatus()
            _ = harness.engine.recentActions()
            _ = harness.engine.action(id: "1")
            read.update { $0 = true }
        }
        let prompt = await read.wait(within: .seconds(2)) { $0 }
        // Released whatever happened, so that the writer and a reader stuck behind it both finish.
        blocking.update { $0 = false }
        release.signal()
        #expect(prompt, "publishStatus or the action list waited for the state file's write")
        // The answer still comes only after the state is on disk, and the decision is then visible.
        #expect(await answered.wait(within: .seconds(5)) { $0 != nil })
        let queued = try #require(answered.value?.first)
        #expect(queued.decision.kind == .queued)
        #expect(try harness.savedState().pending[queued.id] != nil)
        #expect(harness.engine.action(id: queued.id)?.status == .queued)
    }

    /// Alertmanager HA sends each notification from every replica at once: with the disk writes outside the
    /// state lock, copies arriving together must still act once.
    @Test func copiesOfANotificationArrivingTogetherActOnce() throws {
        let domains = (1...8).map { TestDomain("vm_\($0)", $0) }
        let harness = try EngineHarness(domains: domains)
        for domain in domains {
            let alert = Alerts.firing(domain: domain.ref.name, fingerprint: "f-\(domain.ref.name)")
            let kinds = Observed<[Decision.Kind]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                let kind = (try? harness.handle(alert))?.first?.decision.kind
                kinds.update { $0.append(kind ?? .skipped) }
            }
            #expect(kinds.value.filter { $0 == .queued }.count == 1, "\(domain.ref.name): \(kinds.value)")
        }
        #expect(try harness.savedState().pending.count == domains.count)
        #expect(Set(harness.engine.recentActions(limit: 1000).map(\.id)).count == domains.count * 6)
    }

    @Test func actionIDsThatWouldOverflowAreRefusedNotTrapped() throws {
        let directory = try TemporaryDirectory()
        var state = SafetyState()
        state.nextActionNumber = SafetyState.counterLimit
        try EngineHarness.seed(directory, with: state)
        let harness = try EngineHarness(domains: [Self.vm], directory: directory)
        let refused = #expect(throws: RemediationEngine.Unavailable.self) { try harness.handle(Alerts.firing()) }
        #expect(refused?.description.contains("action ids are used up") == true)
        #expect(throws: RemediationEngine.Unavailable.self) {
            try harness.engine.request(.start, domain: "vm_centos7", options: ManualOptions(), from: .api("ops"))
        }
        #expect(harness.engine.recentActions().isEmpty)
        #expect(try harness.savedState().nextActionNumber == SafetyState.counterLimit)
        #expect(harness.auditText.isEmpty)
    }

    /// Seconds from policies, requests and state files become waits and messages without trapping.
    @Test(arguments: [Double.nan, .infinity, -.infinity, -1, 0, 1e300, -1e300, 9.3e18, Double(Int64.max)])
    func outsideSecondsNeverTrap(seconds: Double) {
        let wait = RemediationEngine.wait(seconds: seconds)
        #expect(wait >= .zero)
        #expect(wait <= .seconds(RemediationEngine.longestWait))
        #expect(!wholeSeconds(seconds).isEmpty)
    }
}
