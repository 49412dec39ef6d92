import Foundation
import Testing

@testable import KVMCore

/// The balloon period flag and the kvm-only figures, through the collector.
@Suite struct GuestMemoryCollectionTests {
    static func domain(_ name: String, _ number: Int, type: String, period: Double?) -> FakeHypervisor.FakeDomain {
        var domain = Fixtures.running(name, number)
        domain.record.merge(MemoryRecords.kvmGuest) { _, new in new }
        domain.config.domainType = type
        domain.config.memoryStatsPeriodSeconds = period
        return domain
    }

    let silent = domain("silent", 1, type: "kvm", period: 0)
    let reporting = domain("reporting", 2, type: "kvm", period: 5)
    let noBalloon = domain("noballoon", 3, type: "kvm", period: nil)
    var stopped: FakeHypervisor.FakeDomain {
        var domain = Self.domain("stopped", 4, type: "kvm", period: 0)
        domain.state = .shutoff
        domain.record = ["state.state": .int(5), "state.reason": .int(1)]
        return domain
    }

    @Test func withoutTheFlagNoGuestIsChanged() async throws {
        let h = CollectorHarness([silent, reporting, noBalloon, stopped])
        #expect(await h.collectOnce() == .success)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.setMemoryStatsPeriod) == 0)
        #expect(h.entry(silent.ref)?.config?.memoryStatsPeriodSeconds == 0)
    }

    @Test func theFlagSetsThePeriodOnlyOnRunningDomainsThatHaveNone() async throws {
        let h = CollectorHarness([silent, reporting, noBalloon, stopped]) { $0.balloonPeriod = .seconds(10) }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.setMemoryStatsPeriod, for: silent.ref) == 1)
        #expect(h.fake.calls(.setMemoryStatsPeriod) == 1, "not on the one with a period, none, or stopped")
        #expect(h.entry(silent.ref)?.config?.memoryStatsPeriodSeconds == 10)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.setMemoryStatsPeriod) == 1, "set once, not every pass")
    }

    /// A restarted domain is back to its definition's period: the started event has the definition read
    /// again, and the period is set again.
    @Test func aRestartedDomainGetsThePeriodAgain() async throws {
        let h = CollectorHarness([silent]) { $0.balloonPeriod = .seconds(10) }
        #expect(await h.collectOnce() == .success)
        h.fake.modify(silent.ref) { $0.config.memoryStatsPeriodSeconds = 0 }
        h.store.applyLifecycle(
            LifecycleEvent(domain: silent.ref, kindCode: 2, detailCode: 0, time: Date().timeIntervalSince1970))
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.setMemoryStatsPeriod, for: silent.ref) == 2)
    }

    @Test func kvmFiguresOnlyForDomainsOfTypeKVM() async throws {
        let tcg = Self.domain("tcg", 5, type: "qemu", period: 0)
        let h = CollectorHarness([silent, tcg])
        #expect(await h.collectOnce() == .success)
        let kvm = try #require(h.entry(silent.ref)?.stats)
        #expect(kvm.kvm?[.exits] == 2500)
        #expect(kvm.haltPollSuccessSeconds == 1.5)
        let qemu = try #require(h.entry(tcg.ref)?.stats)
        #expect(qemu.kvm == nil)
        #expect(qemu.haltPollSuccessSeconds == nil, "TCG's zeros mean nothing")
    }

    @Test func theVMGroupIsAskedForOnlyWhenTurnedOn() async throws {
        let plain = CollectorHarness([silent])
        #expect(await plain.collectOnce() == .success)
        #expect(!plain.fake.groupsAsked.contains(.vm))
        #expect(plain.fake.groupsAsked.isSuperset(of: [.balloon, .vcpu, .cpuTotal]))
        let withVM = CollectorHarness([silent]) { $0.collectors.insert(.vm) }
        #expect(await withVM.collectOnce() == .success)
        #expect(withVM.fake.groupsAsked.contains(.vm))
    }
}
