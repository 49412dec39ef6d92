import Foundation
import KVMCore
import Libvirt
import Logging
import NIOPosix
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
