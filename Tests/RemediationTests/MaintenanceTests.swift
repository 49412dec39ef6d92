import Foundation
import KVMCore
import Testing

@testable import Remediation

/// Maintenance: per domain and host-wide, set through the engine's API with an expiry, who and why; and the
/// metadata opt-out, which wins over every allow rule. Decisions are `maintenance` and nothing is done.
@Suite struct MaintenanceTests {
    static let vm = TestDomain("vm_centos7", 1)
    static let db = TestDomain("db01", 2)

    static func harness(_ domains: [TestDomain] = [vm, db]) throws -> EngineHarness {
        try EngineHarness(domains: domains)
    }

    @Test func aDomainInMaintenanceIsNeverActedOnUntilItExpires() async throws {
        let harness = try Self.harness()
        let window = try harness.engine.startMaintenance(
            "vm_centos7", seconds: 3600, reason: "kernel update", from: .api("ops"))
        #expect(window.until == harness.clock.now + 3600)
        #expect(window.setBy == "ops")
        let held = try #require(try harness.handle(Alerts.firing()).first)
        #expect(held.decision.kind == .maintenance)
        #expect(held.decision.reason == .domainMaintenance)
        #expect(held.decision.detail.contains("set by ops: kernel update"))
        let manual = try harness.engine.request(
            .start, domain: "vm_centos7", options: ManualOptions(), from: .api("someone"))
        #expect(manual.decision.kind == .maintenance)
        // Another domain is not held.
        #expect(try harness.handle(Alerts.firing(domain: "db01", fingerprint: "1")).first?.decision.kind == .queued)
        #expect(harness.controller.snapshot.calls.isEmpty)

        let audit = try harness.auditRecords()
        let started = try #require(audit.first)
        #expect(started.decision == "maintenance_started")
        #expect(started.principal == "ops")
        #expect(started.reason == "kernel update")
        #expect(started.domain == "vm_centos7")
        #expect(audit.contains { $0.decision == "maintenance" && $0.reason == "domain_maintenance" })

        harness.clock.advance(by: 3601)
        let after = try #require(try harness.handle(Alerts.firing(fingerprint: "2")).first)
        #expect(after.decision.kind == .queued)
    }

    @Test func hostMaintenanceHoldsEveryDomainUntilEnded() throws {
        let harness = try Self.harness()
        _ = try harness.engine.startMaintenance(nil, seconds: 600, reason: "libvirt upgrade", from: .api("ops"))
        for (domain, fingerprint) in [("vm_centos7", "a"), ("db01", "b")] {
            let record = try #require(try harness.handle(Alerts.firing(domain: domain, fingerprint: fingerprint)).first)
            #expect(record.decision.reason == .hostMaintenance, "\(domain)")
        }
        #expect(harness.engine.holds().first?.kind == .maintenance)
        #expect(harness.engine.holds().first?.by == "ops")
        #expect(try harness.engine.endMaintenance(nil, from: .api("ops")))
        #expect(try !harness.engine.endMaintenance(nil, from: .api("ops")), "nothing left to end")
        #expect(try harness.auditRecords().last?.decision == "maintenance_ended")
        #expect(try harness.handle(Alerts.firing(fingerprint: "c")).first?.decision.kind == .queued)
    }

    @Test func theMetadataOptOutWinsOverTheAllowList() throws {
        var optedOut = Self.vm
        optedOut.optedOut = true
        let harness = try Self.harness([optedOut])
        let record = try #require(try harness.handle(Alerts.firing()).first)
        #expect(record.decision.kind == .maintenance)
        #expect(record.decision.reason == .metadataOptOut)
        #expect(harness.controller.snapshot.calls.isEmpty)
    }

    @Test func maintenanceSurvivesARestartOfTheAgent() throws {
        let harness = try Self.harness()
        _ = try harness.engine.startMaintenance("db01", seconds: 3600, reason: "disk swap", from: .api("ops"))
        _ = try harness.engine.startMaintenance(nil, seconds: 60, reason: "reboot", from: .api("root"))
        let saved = try harness.savedState()
        #expect(saved.maintenance?[Self.db.ref.uuid]?.reason == "disk swap")
        #expect(saved.hostMaintenance?.setBy == "root")
        let restarted = try harness.restarted()
        #expect(restarted.engine.holds().map(\.domain) == ["(the whole host)", "db01"])
        restarted.clock.advance(by: 61)
        let record = try #require(try restarted.handle(Alerts.firing(domain: "db01")).first)
        #expect(record.decision.reason == .domainMaintenance, "the host's window ended, the domain's did not")
    }

    @Test func anUnknownDomainChangesNothing() throws {
        let harness = try Self.harness()
        #expect(throws: RemediationEngine.UnknownDomain.self) {
            try harness.engine.startMaintenance("nope", seconds: 60, reason: "x", from: .api("ops"))
        }
        #expect(throws: RemediationEngine.UnknownDomain.self) {
            try harness.engine.endMaintenance("nope", from: .api("ops"))
        }
        #expect(try harness.savedState().maintenance == nil)
        #expect(harness.auditText.isEmpty)
    }

    @Test func publishedStatusNamesWhoSetItAndUntilWhen() throws {
        let harness = try Self.harness()
        _ = try harness.engine.startMaintenance("vm_centos7", seconds: 120, reason: "r", from: .api("ops"))
        harness.engine.publishStatus()
        let published = try #require(harness.telemetry.calls.maintenance.last)
        #expect(published.host == nil)
        #expect(published.domains.map(\.setBy) == ["ops"])
        #expect(published.domains.first?.until == harness.clock.now + 120)
    }

    @Test func hostileMaintenanceInTheStateFileIsRefused() throws {
        var state = SafetyState()
        state.hostMaintenance = MaintenanceWindow(name: "", setBy: "ops", reason: "r", since: 100, until: 50)
        #expect(throws: (any Error).self) { try state.validate() }
        state.hostMaintenance = nil
        state.maintenance = [Self.vm.ref.uuid: .init(name: "vm", setBy: "ops", reason: "r", since: 0, until: .infinity)]
        #expect(throws: (any Error).self) { try state.validate() }
        state.maintenance = [
            Self.vm.ref.uuid: .init(
                name: "vm", setBy: "ops", reason: String(repeating: "x", count: 2000), since: 0, until: 1)
        ]
        #expect(throws: (any Error).self) { try state.validate() }
    }
}

/// An action queued before the maintenance began is not run once it has.
@Suite struct MaintenanceOfQueuedActionsTests {
    @Test func aQueuedActionIsNotRunOnceMaintenanceHasBegun() async throws {
        let harness = try EngineHarness(domains: [MaintenanceTests.vm])
        let queued = try #require(try harness.handle(Alerts.firing()).first)
        #expect(queued.decision.kind == .queued)
        _ = try harness.engine.startMaintenance("vm_centos7", seconds: 600, reason: "swap", from: .api("ops"))
        let record = await harness.whileRunning { await harness.finished(queued.id) }
        #expect(record?.result == .noop)
        #expect(record?.error?.contains("not run") == true)
        #expect(record?.error?.contains("set by ops: swap") == true)
        #expect(harness.controller.snapshot.calls.isEmpty)
        #expect(try harness.savedState().pending.isEmpty)
    }
}
