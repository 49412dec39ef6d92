import Foundation
import Logging
import Synchronization
import TestSupport

@testable import KVMCore

/// A collector wired to a fake hypervisor, with a short per-call deadline.
struct CollectorHarness {
    static let timeout = Duration.milliseconds(200)

    let fake: FakeHypervisor
    let store = InventoryStore()
    let telemetry = RecordingTelemetry()
    let collector: Collector

    init(
        _ domains: [FakeHypervisor.FakeDomain], connected: Bool = true, timeout: Duration = Self.timeout,
        configure: (inout CollectorOptions) -> Void = { _ in }
    ) {
        fake = FakeHypervisor(domains)
        var logger = Logger(label: "kvm-agent.collector.test")
        logger.logLevel = .critical
        var options = CollectorOptions(interval: .seconds(3600), timeout: timeout, concurrency: 4)
        configure(&options)
        collector = Collector(
            hypervisor: fake, store: store, options: options, telemetry: telemetry, logger: logger)
        if connected { store.connected(FakeHypervisor.identity) }
    }

    func entry(_ ref: DomainRef) -> DomainEntry? {
        store.snapshot().domains[ref.uuid]
    }

    /// One pass, or nil if it did not return within `limit`.
    @discardableResult
    func collectOnce(within limit: Duration = .seconds(10)) async -> CollectionResult? {
        let collector = self.collector
        return await within(limit) { await collector.collectOnce() }
    }

    /// Waits until no call the collector abandoned is still running.
    func settled() async -> Bool {
        let collector = self.collector
        return await eventually { collector.abandoned.withLock { $0.values.allSatisfy { $0 <= 0 } } }
    }
}
