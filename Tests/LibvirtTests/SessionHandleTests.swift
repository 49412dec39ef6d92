import KVMCore
import Libvirt
import NIOPosix
import Testing

@testable import LibvirtHypervisor

/// Handles belong to the connection they were looked up on. After a reconnect, a lookup that started on
/// the old connection and finishes late must not land in the new session's cache, or every later call for
/// that domain goes to the old connection. The test driver gives each connection to a file URI its own copy
/// of the host, so a handle on the old connection is told apart by what it answers.
@Suite struct SessionHandleTests {
    @Test func aLookupFromBeforeAReconnectStaysOutOfTheNewSession() async throws {
        let (hypervisor, old, pool) = try TestHosts.hypervisor(on: TestHosts.demoURI)
        defer { pool.shutdownGracefully { _ in } }
        let oldGeneration = try #require(hypervisor.generation)
        // The lookup starts on the old session and has not finished when the connection is replaced.
        let late = try old.domain(uuid: TestHosts.centos.uuid)
        hypervisor.uninstall()
        let new = try Connection(uri: TestHosts.demoURI)
        try new.domain(uuid: TestHosts.centos.uuid).destroy()
        hypervisor.install(control: new, stats: new, hostCPUs: try new.hostCPUCount())
        #expect(hypervisor.generation != oldGeneration)

        hypervisor.remember(statsHandle: late, for: TestHosts.centos, lookedUpIn: oldGeneration)

        #expect(hypervisor.cachedStatsHandle(TestHosts.centos) == nil)
        let info = try await hypervisor.basicInfo(TestHosts.centos)
        #expect(info.state == .shutoff, "answered by the new connection; the old one's copy still runs it")
        #expect(hypervisor.cachedStatsHandle(TestHosts.centos)?.connection === new)
    }

    @Test func aListingFromBeforeAReconnectLeavesTheNewSessionsHandlesAlone() async throws {
        let (hypervisor, old, pool) = try TestHosts.hypervisor(on: TestHosts.demoURI)
        defer { pool.shutdownGracefully { _ in } }
        let oldGeneration = try #require(hypervisor.generation)
        let lateListing = try old.allDomains()
        hypervisor.uninstall()
        let new = try Connection(uri: TestHosts.demoURI)
        try new.domain(uuid: TestHosts.centos.uuid).destroy()
        hypervisor.install(control: new, stats: new, hostCPUs: try new.hostCPUCount())

        hypervisor.adopt(listed: lateListing, lookedUpIn: oldGeneration)

        let state = try await hypervisor.withDomain(TestHosts.centos) { try $0.state().state }
        #expect(DomainState(code: state) == .shutoff, "a control handle on the new connection")
    }

    @Test func handlesAreCachedInTheSessionTheyCameFrom() async throws {
        let (hypervisor, connection, pool) = try TestHosts.hypervisor(on: TestHosts.demoURI)
        defer { pool.shutdownGracefully { _ in } }
        _ = try await hypervisor.listDomains()
        _ = try await hypervisor.bulkStats([TestHosts.centos], groups: [.state])
        #expect(hypervisor.cachedStatsHandle(TestHosts.centos)?.connection === connection)

        hypervisor.uninstall()
        let new = try Connection(uri: TestHosts.demoURI)
        hypervisor.install(control: new, stats: new, hostCPUs: try new.hostCPUCount())
        #expect(hypervisor.cachedStatsHandle(TestHosts.centos) == nil, "a new session starts with no handles")
        let records = try await hypervisor.bulkStats([TestHosts.centos], groups: [.state])
        #expect(records.keys.map(\.uuid) == [TestHosts.centos.uuid])
        #expect(hypervisor.cachedStatsHandle(TestHosts.centos)?.connection === new)
    }

    /// libvirt sends a bulk call over the first handle's connection, whatever connection it is made on.
    @Test func bulkStatsRefuseAnotherConnectionsHandles() throws {
        let one = try Connection(uri: TestHosts.demoURI)
        let other = try Connection(uri: TestHosts.demoURI)
        let handle = try other.domain(uuid: TestHosts.centos.uuid)
        let error = #expect(throws: LibvirtError.self) { try one.stats(groups: [.state], domains: [handle]) }
        #expect(error?.code == .invalidArgument)
        #expect(try other.stats(groups: [.state], domains: [handle]).count == 1)
    }
}
