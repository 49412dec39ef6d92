import Foundation
import KVMCore
import Synchronization
import Testing

@testable import Agent

/// The watchdog follows the agent's own loops, whatever libvirt does: a stopped or refusing libvirtd must not
/// make systemd restart the agent (issue 15), while a collector loop that stops turning must.
@Suite struct WatchdogTests {
    /// libvirt not there: every call fails, as the real hypervisor's do while disconnected.
    struct AbsentHypervisor: Hypervisor {
        struct Absent: Error {}
        func listDomains() async throws -> [DomainSummary] { throw Absent() }
        func bulkStats(_ domains: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]]
        { throw Absent() }
        func domainStats(_ domain: DomainRef, groups: Set<StatsGroup>) async throws -> [String: StatValue] {
            throw Absent()
        }
        func basicInfo(_ domain: DomainRef) async throws -> DomainBasicInfo { throw Absent() }
        func blockStats(_ domain: DomainRef, device: String) async throws -> BlockDeviceStats { throw Absent() }
        func interfaceStats(_ domain: DomainRef, device: String) async throws -> InterfaceDeviceStats {
            throw Absent()
        }
        func vcpuInfo(_ domain: DomainRef) async throws -> [VCPUInfo] { throw Absent() }
        func config(_ domain: DomainRef) async throws -> DomainConfig { throw Absent() }
    }

    final class Passes: CollectorTelemetry {
        let ends = Mutex<[Double]>([])
        let results = Mutex<[CollectionResult]>([])
        func collectionFinished(result: CollectionResult, durationSeconds: Double, timestamp: Double) {
            ends.withLock { $0.append(timestamp) }
            results.withLock { $0.append(result) }
        }
        func hypervisorCallStarted(_ operation: String) {}
        var last: Double? { ends.withLock { $0.last } }
    }

    @Test func theHealthCheckHoldsWhileLibvirtIsDownAndFailsWhenTheLoopStops() async throws {
        let store = InventoryStore()
        store.disconnected(ConnectionFailure(kind: .permissionDenied, reason: "refused", user: "kvm-agent"))
        let passes = Passes()
        let collector = Collector(
            hypervisor: AbsentHypervisor(), store: store, options: CollectorOptions(interval: .milliseconds(20)),
            telemetry: passes)
        let settings = AgentConfiguration.CollectorSettings(interval: .milliseconds(20), timeout: .seconds(5))
        let healthy = Agent.health(settings, lastPass: { passes.last })

        let loop = Task { await collector.run() }
        let end = ContinuousClock.now + .seconds(30)
        while passes.ends.withLock({ $0.count }) < 5, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(passes.ends.withLock { $0.count } >= 5, "the collector loop turns while libvirt is down")
        #expect(passes.results.withLock { $0.allSatisfy { $0 == .disconnected } })
        #expect(healthy())
        loop.cancel()
        await loop.value

        // The same check, once the loop has been still for longer than the bound, withholds the ping.
        let last = try #require(passes.last)
        let bound = Agent.healthBound(settings)
        #expect(Agent.health(settings, lastPass: { passes.last }, now: { last + bound - 1 })())
        #expect(!Agent.health(settings, lastPass: { passes.last }, now: { last + bound + 1 })())
    }
}
