import Synchronization
import Testing

@testable import KVMCore

/// The fake hypervisor with jobs: answers `jobProgress` from a table and counts the calls per domain.
final class JobsHypervisor: Hypervisor {
    let base: FakeHypervisor
    private let jobs = Mutex<[String: JobProgress]>([:])
    private let asked = Mutex<[String: Int]>([:])

    init(_ base: FakeHypervisor) { self.base = base }

    func setJob(_ ref: DomainRef, _ job: JobProgress?) { jobs.withLock { $0[ref.uuid] = job } }
    func jobCalls(_ ref: DomainRef) -> Int { asked.withLock { $0[ref.uuid] ?? 0 } }

    func jobProgress(_ domain: DomainRef) async throws -> JobProgress? {
        asked.withLock { $0[domain.uuid, default: 0] += 1 }
        return jobs.withLock { $0[domain.uuid] }
    }

    func listDomains() async throws -> [DomainSummary] { try await base.listDomains() }
    func bulkStats(_ domains: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]] {
        try await base.bulkStats(domains, groups: groups)
    }
    func domainStats(_ domain: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue] {
        try await base.domainStats(domain, groups: groups)
    }
    func basicInfo(_ domain: DomainRef) async throws -> DomainBasicInfo { try await base.basicInfo(domain) }
    func blockStats(_ domain: DomainRef, device: String) async throws -> BlockDeviceStats {
        try await base.blockStats(domain, device: device)
    }
    func interfaceStats(_ domain: DomainRef, device: String) async throws -> InterfaceDeviceStats {
        try await base.interfaceStats(domain, device: device)
    }
    func vcpuInfo(_ domain: DomainRef) async throws -> [VCPUInfo] { try await base.vcpuInfo(domain) }
    func config(_ domain: DomainRef) async throws -> DomainConfig { try await base.config(domain) }
}

@Suite struct JobPollingTests {
    let idle = Fixtures.running("idle", 1)
    let migrating = Fixtures.running("migrating", 2)
    let dumping: FakeHypervisor.FakeDomain = {
        var domain = Fixtures.running("dumping", 3)
        domain.state = .paused
        domain.reasonCode = 4  // VIR_DOMAIN_PAUSED_DUMP
        return domain
    }()

    func collector(_ hypervisor: JobsHypervisor) -> (Collector, InventoryStore) {
        let store = InventoryStore()
        store.connected(FakeHypervisor.identity)
        let collector = Collector(
            hypervisor: hypervisor, store: store,
            options: CollectorOptions(interval: .seconds(3600), timeout: .seconds(5), concurrency: 4))
        return (collector, store)
    }

    @Test func onlyDomainsWithAJobAreAskedAndTheirFiguresFollowIt() async throws {
        let hypervisor = JobsHypervisor(FakeHypervisor([idle, migrating, dumping]))
        let (collector, store) = collector(hypervisor)
        var migration = JobProgress(type: .unbounded, operation: .migrationOut)
        migration.dataRemainingBytes = 600
        hypervisor.setJob(migrating.ref, migration)
        hypervisor.setJob(dumping.ref, JobProgress(type: .unbounded, operation: .dump))

        await collector.collectOnce()
        #expect(hypervisor.jobCalls(idle.ref) == 0, "no call for a domain without a sign of a job")
        #expect(hypervisor.jobCalls(migrating.ref) == 0, "no event has told of the migration yet")
        #expect(hypervisor.jobCalls(dumping.ref) == 1, "paused for a dump: asked")
        #expect(store.snapshot().domains[dumping.ref.uuid]?.jobs.current?.operation == .dump)

        store.applyDomainEvent(DomainEvent(domain: migrating.ref, kind: .migrationIteration(1), time: 1))
        await collector.collectOnce()
        #expect(hypervisor.jobCalls(migrating.ref) == 1)
        #expect(store.snapshot().domains[migrating.ref.uuid]?.jobs.current == migration)

        // The job ends without an event (a dump sends none): the next poll finds none and stops asking.
        hypervisor.setJob(migrating.ref, nil)
        await collector.collectOnce()
        #expect(store.snapshot().domains[migrating.ref.uuid]?.jobs.current == nil)
        await collector.collectOnce()
        #expect(hypervisor.jobCalls(migrating.ref) == 2, "asked once more to learn the job ended, then not")
        #expect(hypervisor.jobCalls(idle.ref) == 0)
    }
}
