import Foundation
import Testing

@testable import KVMCore

@Suite struct CollectorTests {
    let alpha = Fixtures.running("alpha", 1)
    let bravo = Fixtures.running("bravo", 2, cpuSeconds: 20)
    let charlie = Fixtures.shutOff("charlie", 3)

    @Test func fullBulkRecordsFillRunningDomainsAndLeaveShutOffOnesAlone() async throws {
        // A deadline long enough that the hedge (a quarter of it at most, 200 ms at least) does not fire because
        // the machine is loaded: with the harness's 200 ms it waited 50 ms, and then asked each domain.
        let h = CollectorHarness([alpha, bravo, charlie], timeout: .seconds(8))
        #expect(await h.collectOnce() == .success)

        let a = try #require(h.entry(alpha.ref))
        let stats = try #require(a.stats)
        #expect(stats.cpuTimeSeconds == 12.5)
        #expect(stats.memoryBytes == 2 * Fixtures.gib)
        #expect(stats.balloon.rssBytes == Fixtures.gib)
        #expect(stats.vcpus[0]?.timeSeconds == 5)
        #expect(stats.blocks.map(\.device) == ["vda"])
        #expect(stats.blocks.first?.readBytes == 409_600)
        #expect(stats.interfaces.map(\.device) == ["vnet0"])
        #expect(a.vcpus == Fixtures.vcpuInfo)
        #expect(a.statsSampledAt != nil)
        #expect(!a.statsTimedOut)
        #expect(a.config == Fixtures.config(running: true))
        #expect(!a.configStale)
        #expect(h.entry(bravo.ref)?.stats?.cpuTimeSeconds == 20)

        let c = try #require(h.entry(charlie.ref))
        #expect(c.state == .shutoff)
        #expect(c.stats == nil)
        #expect(c.vcpus.isEmpty)
        #expect(c.statsSampledAt == nil)
        #expect(c.config == Fixtures.config(running: false), "definitions are read for every domain")
        #expect(h.fake.allCalls(for: charlie.ref) == h.fake.calls(.config, for: charlie.ref))

        // Complete records need no per-domain fallback.
        for method in [FakeHypervisor.Method.basicInfo, .blockStats, .interfaceStats, .domainStats] {
            #expect(h.fake.calls(method) == 0, "\(method)")
        }
        #expect(h.fake.calls(.vcpuInfo) == 2)

        let parsed = ParsedExposition(InventoryRenderer().render(h.store.snapshot()).text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.value("kvm_domain_cpu_time_seconds_total", ["domain": "alpha"]) == "12.5")
        #expect(parsed.value("kvm_domain_stats_timed_out", ["domain": "alpha"]) == "0")
    }

    @Test func stateOnlyDriverIsCompletedByPerDomainCalls() async throws {
        let domain = Fixtures.stateOnly("alpha", 1)
        let h = CollectorHarness([domain])
        #expect(await h.collectOnce() == .success, "an empty CD-ROM does not fail the domain")

        let entry = try #require(h.entry(domain.ref))
        let stats = try #require(entry.stats)
        #expect(stats.cpuTimeSeconds == 7.25)
        #expect(stats.memoryBytes == 2 * Fixtures.gib)
        #expect(stats.memoryMaximumBytes == 4 * Fixtures.gib)
        #expect(stats.vcpusCurrent == 2)
        #expect(stats.vcpusMaximum == 2)
        #expect(stats.blocks == [Fixtures.fallbackBlock])
        #expect(stats.interfaces == [Fixtures.fallbackInterface])
        #expect(entry.vcpus == Fixtures.vcpuInfo)
        #expect(!entry.statsTimedOut)

        #expect(h.fake.calls(.basicInfo, for: domain.ref) == 1)
        #expect(h.fake.calls(.blockStats, for: domain.ref) == 2, "vda and the empty hdc")
        #expect(h.fake.calls(.interfaceStats, for: domain.ref) == 1)
        #expect(h.fake.calls(.vcpuInfo, for: domain.ref) == 1)
    }

    @Test func disconnectedPassMakesNoHypervisorCall() async {
        let h = CollectorHarness([alpha, charlie], connected: false)
        #expect(await h.collectOnce() == .disconnected)
        #expect(h.fake.totalCalls == 0)
        #expect(h.store.snapshot().domains.isEmpty)
        #expect(h.telemetry.reports.map(\.result) == [.disconnected])
    }

    @Test func failedListingIsAnErrorAndKeepsTheInventory() async throws {
        let h = CollectorHarness([alpha])
        #expect(await h.collectOnce() == .success)
        let before = try #require(h.entry(alpha.ref))
        h.fake.setListingFails(true)
        #expect(await h.collectOnce() == .error)
        #expect(h.entry(alpha.ref) == before)
        #expect(h.fake.calls(.vcpuInfo, for: alpha.ref) == 1, "no sampling without a listing")
    }

    @Test func telemetryGetsEveryResult() async {
        let h = CollectorHarness([alpha, charlie], connected: false)
        let start = Date().timeIntervalSince1970
        await h.collectOnce()
        h.store.connected(FakeHypervisor.identity)
        await h.collectOnce()
        h.fake.setListingFails(true)
        await h.collectOnce()
        let reports = h.telemetry.reports
        #expect(reports.map(\.result) == [.disconnected, .success, .error])
        for report in reports {
            #expect(report.durationSeconds >= 0)
            #expect(report.durationSeconds < 10)
            #expect(report.timestamp >= start - 1)
            #expect(report.timestamp <= Date().timeIntervalSince1970 + 1)
        }
    }

    @Test func listingChangesAreFollowedInOnePass() async throws {
        let h = CollectorHarness([alpha, charlie])
        #expect(await h.collectOnce() == .success)
        h.fake.remove(charlie.ref)
        h.fake.add(bravo)
        h.fake.modify(alpha.ref) {
            $0.state = .paused
            $0.reasonCode = 1
        }
        #expect(await h.collectOnce() == .success)
        let domains = h.store.snapshot().domains
        #expect(Set(domains.keys) == [alpha.ref.uuid, bravo.ref.uuid])
        #expect(
            domains[bravo.ref.uuid]?.stats?.cpuTimeSeconds == 20, "a new domain is sampled in the pass that finds it")
        #expect(domains[alpha.ref.uuid]?.state == .paused)
        #expect(domains[alpha.ref.uuid]?.reason == "user")
        #expect(domains[alpha.ref.uuid]?.stats != nil, "a paused domain is still sampled")
    }

    /// Each call the collector makes is reported once, by operation, and agrees with what the
    /// hypervisor saw; the agent turns these into kvm_agent_libvirt_calls_total.
    @Test func everyHypervisorCallIsReportedByOperation() async {
        let h = CollectorHarness([alpha, bravo, charlie])
        #expect(await h.collectOnce() == .success)
        #expect(await h.collectOnce() == .success)
        let calls = h.telemetry.hypervisorCalls
        #expect(calls["list_domains"] == 2)
        // One a pass, and a second when the first is slower than the hedge delay (a quarter of this
        // harness's 200 ms deadline: a loaded machine can get there).
        #expect((2...4).contains(calls["bulk_stats"] ?? 0))
        #expect(calls["vcpuinfo"] == 2, "two running domains, read once within --collector.vcpuinfo.interval")
        #expect(calls["read_definition"] == 3, "read once per domain, then kept until an event")
        #expect(calls["vcpuinfo"] == h.fake.calls(.vcpuInfo))
        #expect(calls["list_domains"] == h.fake.calls(.listDomains))
        #expect(calls.keys.allSatisfy { !$0.contains(" ") })
    }
}
