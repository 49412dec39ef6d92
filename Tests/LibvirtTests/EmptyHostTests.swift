import Foundation
import KVMCore
import Libvirt
import Logging
import NIOPosix
import ServiceLifecycle
import TestSupport
import Testing

@testable import LibvirtHypervisor

/// A new hypervisor has no guests: zero domains is a normal host, not an error (issue 15).
@Suite struct EmptyHostTests {
    @Test func statsOfNoDomainsAreNoRecords() throws {
        let connection = try Connection(uri: try TestHosts.emptyHostURI())
        #expect(try connection.allDomains().isEmpty)
        #expect(try connection.stats(groups: [.state], domains: []).isEmpty)
        #expect(try connection.stats(groups: [.state]).isEmpty, "all domains of a host that has none")
    }

    @Test func listingAnEmptyHostFindsNothing() async throws {
        let (hypervisor, _, pool) = try TestHosts.hypervisor(on: try TestHosts.emptyHostURI())
        defer { pool.shutdownGracefully { _ in } }
        #expect(try await hypervisor.listDomains().isEmpty)
        #expect(try await hypervisor.bulkStats([], groups: [.state]).isEmpty)
    }

    @Test func aPassOverAnEmptyHostSucceeds() async throws {
        let (hypervisor, connection, pool) = try TestHosts.hypervisor(on: try TestHosts.emptyHostURI())
        defer { pool.shutdownGracefully { _ in } }
        let store = InventoryStore()
        store.connected(try LibvirtHypervisor.identity(of: connection))
        var logger = Logger(label: "kvm-agent.collector.test")
        logger.logLevel = .critical
        let collector = Collector(
            hypervisor: hypervisor, store: store, options: CollectorOptions(timeout: .seconds(30)), logger: logger)
        #expect(await collector.collectOnce() == .success)
        #expect(store.snapshot().domains.isEmpty)
        #expect(store.snapshot().libvirtUp)
    }
}

/// The whole life of a new host as the operator sees it (issue 15): the supervisor and the collector loop on
/// an empty test-driver host, a domain defined, started and removed through the agent's own connection (the
/// test driver keeps a host per connection), and the state after each step, as the status line and /readyz
/// read it.
@Suite struct NewHostFlowTests {
    /// The collector loop as the agent runs it, stopped on shutdown.
    struct CollectorLoop: Service {
        let collector: Collector
        func run() async throws {
            await cancelWhenGracefulShutdown { await collector.run() }
        }
    }

    static let xml = """
        <domain type='test'><name>first-guest</name><memory>1048576</memory><vcpu>1</vcpu>\
        <os><type>hvm</type></os></domain>
        """

    @Test func zeroDomainsThenOneDefinedStartedAndRemoved() async throws {
        let uri = try TestHosts.emptyHostURI()
        var logger = Logger(label: "kvm-agent.test")
        logger.logLevel = .critical
        let pool = NIOThreadPool(numberOfThreads: 2)
        let store = InventoryStore()
        let hypervisor = LibvirtHypervisor(pool: pool)
        // Interval and deadline far beyond the test: everything after the first pass comes from events.
        let collector = Collector(
            hypervisor: hypervisor, store: store,
            options: CollectorOptions(interval: .seconds(3600), timeout: .seconds(30)),
            logger: logger)
        let supervisor = ConnectionSupervisor(
            uri: uri, hypervisor: hypervisor, store: store,
            hooks: .init(
                lifecycleEvent: { event in
                    store.applyLifecycle(event)
                    collector.requestRefresh()
                },
                connected: { _ in collector.requestCollection() }, disconnected: { _ in }),
            logger: logger)
        let group = ServiceGroup(
            services: [
                ThreadPoolService(pool: pool, users: [supervisor, CollectorLoop(collector: collector)], logger: logger)
            ], logger: logger)

        let finished = try await group.runAndShutDown(
            once: {
                func expect(_ wanted: LibvirtConnectionState, line: String) async {
                    let end = ContinuousClock.now + .seconds(20)
                    while store.snapshot().connectionState != wanted, ContinuousClock.now < end {
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    let state = store.snapshot().connectionState
                    #expect(state == wanted)
                    #expect(state.statusLine(uri: uri) == "\(uri): \(line)")
                    #expect((state.readinessProblem == nil) == (wanted != .collecting))
                }
                await expect(.connected(running: 0, total: 0), line: "connected, 0 of 0 domains running")
                guard let connection = hypervisor.controlConnection else {
                    Issue.record("no control connection")
                    return
                }
                do {
                    let domain = try connection.define(xml: Self.xml)
                    await expect(.connected(running: 0, total: 1), line: "connected, 0 of 1 domains running")
                    try domain.create()
                    await expect(.connected(running: 1, total: 1), line: "connected, 1 of 1 domains running")
                    try domain.destroy()
                    await expect(.connected(running: 0, total: 1), line: "connected, 0 of 1 domains running")
                    try domain.undefine()
                    await expect(.connected(running: 0, total: 0), line: "connected, 0 of 0 domains running")
                } catch {
                    Issue.record("libvirt: \(error)")
                }
            }, within: .seconds(120))
        #expect(finished)
    }
}
