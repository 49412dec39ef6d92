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

    /// A listing keeps the handles it is given for the same domain, name and connection, and makes new ones
    /// for the rest: a handle is only good on its own connection, and its name must be the domain's.
    @Test func aListingKeepsTheHandlesItAlreadyHas() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let first = try connection.allDomainsWithStats(groups: [.state])
        #expect(first.count >= 3)
        var known = Dictionary(uniqueKeysWithValues: first.map { ($0.0.uuid, $0.0) })
        let (renamed, foreign) = (first[0].0, first[1].0)
        known[renamed.uuid] = first[2].0  // another domain's handle: a name that is no longer this UUID's
        known[foreign.uuid] = try Connection(uri: TestHosts.demoURI).domain(uuid: foreign.uuid)

        let second = try connection.allDomainsWithStats(groups: [.state], reusing: known)

        #expect(second.map(\.1.uuid) == first.map(\.1.uuid))
        for (domain, record) in second {
            #expect(domain.uuid == record.uuid && domain.name == record.name && domain.connection === connection)
            let kept = domain === known[record.uuid]
            #expect(kept == (record.uuid != renamed.uuid && record.uuid != foreign.uuid), "\(record.name)")
        }
        #expect(try second.map { try $0.0.state().state } == first.map { try $0.0.state().state })
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
