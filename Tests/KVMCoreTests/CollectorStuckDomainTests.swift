import Synchronization
import TestSupport
import Testing

@testable import KVMCore

/// A domain whose calls hang (a stuck qemu monitor) must cost one deadline, not the whole pass, and must
/// not collect a new stuck call on every pass.
@Suite struct CollectorStuckDomainTests {
    let alpha = Fixtures.running("alpha", 1)
    let bravo = Fixtures.running("bravo", 2)
    let charlie = Fixtures.running("charlie", 3)

    @Test(arguments: FakeHypervisor.BulkWhenHung.allCases)
    func hungDomainTimesOutAloneAndRecovers(bulk: FakeHypervisor.BulkWhenHung) async throws {
        let h = CollectorHarness([alpha, bravo, charlie])
        h.fake.setBulkWhenHung(bulk)
        #expect(await h.collectOnce() == .success)

        h.fake.hang(bravo.ref)
        for domain in [alpha, charlie] {
            h.fake.modify(domain.ref) { $0.record = Fixtures.fullRecord(cpuSeconds: 30) }
        }
        let started = ContinuousClock.now
        let result = await h.collectOnce()
        #expect(result == .partial, "the pass must return although bravo never answers")
        #expect(ContinuousClock.now - started < .seconds(5))

        let stuck = try #require(h.entry(bravo.ref))
        #expect(stuck.statsTimedOut)
        #expect(stuck.stats == nil)
        #expect(stuck.vcpus.isEmpty)
        for domain in [alpha, charlie] {
            let entry = try #require(h.entry(domain.ref))
            #expect(entry.stats?.cpuTimeSeconds == 30, "\(domain.ref.name) has fresh figures")
            #expect(!entry.statsTimedOut)
        }
        let parsed = ParsedExposition(InventoryRenderer().render(h.store.snapshot()).text)
        #expect(parsed.value("kvm_domain_stats_timed_out", ["domain": "bravo"]) == "1")
        #expect(parsed.value("kvm_domain_cpu_time_seconds_total", ["domain": "bravo"]) == nil)

        // While it is still stuck, later passes leave it alone instead of piling calls onto it.
        let callsWhileStuck = h.fake.allCalls(for: bravo.ref)
        #expect(await h.collectOnce() == .partial)
        #expect(h.fake.allCalls(for: bravo.ref) == callsWhileStuck)
        #expect(h.entry(bravo.ref)?.statsTimedOut == true)

        h.fake.release(bravo.ref)
        #expect(await h.settled(), "the abandoned calls report back once they return")
        #expect(await h.collectOnce() == .success)
        let recovered = try #require(h.entry(bravo.ref))
        #expect(!recovered.statsTimedOut)
        #expect(recovered.stats?.cpuTimeSeconds == 12.5)
        #expect(recovered.vcpus == Fixtures.vcpuInfo)
    }

    @Test(arguments: FakeHypervisor.BulkWhenHung.allCases)
    func healthyDomainsStayFreshOverSeveralPassesWhileAnotherIsStuck(bulk: FakeHypervisor.BulkWhenHung) async throws {
        let h = CollectorHarness([alpha, bravo, charlie])
        h.fake.setBulkWhenHung(bulk)
        #expect(await h.collectOnce() == .success)
        h.fake.hang(bravo.ref)
        for pass in 1...3 {
            for domain in [alpha, charlie] {
                h.fake.modify(domain.ref) { $0.record = Fixtures.fullRecord(cpuSeconds: Double(100 * pass)) }
            }
            #expect(await h.collectOnce() == .partial)
            for domain in [alpha, charlie] {
                let entry = try #require(h.entry(domain.ref))
                #expect(
                    entry.stats?.cpuTimeSeconds == Double(100 * pass),
                    "pass \(pass): \(domain.ref.name) starved while bravo is stuck")
                #expect(entry.statsTimedOut == false, "pass \(pass): \(domain.ref.name)")
            }
        }
        h.fake.release(bravo.ref)
        #expect(await h.settled())
    }

    /// The pass after a domain hangs publishes the others' figures long before the hung one's deadline,
    /// and marks that one timed out within one deadline of the pass's first statistics call.
    @Test(arguments: FakeHypervisor.BulkWhenHung.allCases)
    func healthyFiguresDoNotWaitForTheHungDomainsDeadline(bulk: FakeHypervisor.BulkWhenHung) async throws {
        // Long enough that the gap between one deadline and two outlasts a loaded machine's late timers (2.5 s
        // seen with the whole suite running in parallel on two cores).
        let timeout = Duration.seconds(8)
        let h = CollectorHarness([alpha, bravo, charlie], timeout: timeout)
        h.fake.setBulkWhenHung(bulk)
        #expect(await h.collectOnce() == .success)
        h.fake.hang(bravo.ref)
        for domain in [alpha, charlie] {
            h.fake.modify(domain.ref) { $0.record = Fixtures.fullRecord(cpuSeconds: 30) }
        }
        let collector = h.collector
        let started = ContinuousClock.now
        let pass = Task { await collector.collectOnce() }
        let store = h.store
        let healthy = [alpha.ref.uuid, charlie.ref.uuid]
        let fresh = await eventually(within: timeout) {
            healthy.allSatisfy { store.snapshot().domains[$0]?.stats?.cpuTimeSeconds == 30 }
        }
        let published = ContinuousClock.now - started
        #expect(fresh)
        // Two bulk attempts a quarter of the deadline apart at most, then the calls of each domain.
        #expect(published < timeout * 0.75, "healthy figures published after \(published)")

        #expect(await pass.value == .partial)
        let passTook = ContinuousClock.now - started
        // The pass itself waited for bravo's deadline, long after the others' figures were out.
        #expect(passTook > published + timeout / 4, "published after \(published), the pass took \(passTook)")
        // Within one deadline, with room for a loaded machine; waiting for the deadline twice (the bulk call's,
        // then the hung domain's own call's), as passes did before, takes two.
        #expect(passTook < timeout * 1.75, "the pass took \(passTook)")
        #expect(h.entry(bravo.ref)?.statsTimedOut == true)
        h.fake.release(bravo.ref)
        #expect(await h.settled())
    }

    @Test func domainHungFromTheFirstPassGetsNoFurtherCalls() async throws {
        let h = CollectorHarness([alpha, bravo])
        h.fake.hang(bravo.ref)
        #expect(await h.collectOnce() == .partial)
        #expect(h.entry(bravo.ref)?.statsTimedOut == true)
        #expect(h.entry(alpha.ref)?.stats != nil)

        // Its definition could not be read either; that must not be retried while the first read hangs.
        let callsWhileStuck = h.fake.allCalls(for: bravo.ref)
        #expect(await h.collectOnce() == .partial)
        #expect(h.fake.allCalls(for: bravo.ref) == callsWhileStuck, "calls piled onto a stuck domain")

        h.fake.release(bravo.ref)
        #expect(await h.settled())
        #expect(await h.collectOnce() == .success)
        #expect(h.entry(bravo.ref)?.config == Fixtures.config(running: true))
        #expect(h.entry(bravo.ref)?.statsTimedOut == false)
    }

    @Test func cancellingAPassWithAStuckDomainReturnsPromptly() async throws {
        let h = CollectorHarness([alpha, bravo])
        #expect(await h.collectOnce() == .success)
        h.fake.hang(bravo.ref)
        let collector = h.collector
        let pass = Task { await collector.collectOnce() }
        let fake = h.fake
        let bravoRef = bravo.ref
        #expect(await eventually { fake.waiting(for: bravoRef) > 0 })
        pass.cancel()
        #expect(await within(.seconds(2)) { await pass.value } != nil, "a cancelled pass waited on a stuck domain")

        // Calls abandoned by cancellation must not unbalance the count of stuck calls once they return.
        h.fake.release(bravo.ref)
        #expect(await eventually { fake.waiting(for: bravoRef) == 0 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.collector.abandoned.withLock { $0.values.allSatisfy { $0 >= 0 } })
    }
}
