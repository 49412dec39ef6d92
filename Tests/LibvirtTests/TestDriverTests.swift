import CLibvirt
import Foundation
import Libvirt
import Synchronization
import Testing

/// The safe layer against libvirt's test driver: no daemon, a whole fake host from demo/demo-host.xml.
@Suite struct TestDriverTests {
    @Test func listsRunningAndDefinedOnlyDomains() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let domains = try connection.allDomains()
        let states = Dictionary(uniqueKeysWithValues: try domains.map { ($0.name, try $0.state().state) })
        #expect(states["vm_centos7"] == 1)
        #expect(states["build01"] == 3)
        #expect(states["backup01"] == 5)
        #expect(states["win2019"] == 5)
        #expect(domains.allSatisfy { $0.uuid.count == 36 })
    }

    /// The UUID is formatted from libvirt's raw bytes: it must read as libvirt's own form, the one in the
    /// domain's XML, for handles and bulk records alike.
    @Test func uuidsReadAsInTheDefinition() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let records = Dictionary(
            uniqueKeysWithValues: try connection.stats(groups: [.state]).map { ($0.name, $0.uuid) })
        for domain in try connection.allDomains() {
            let xml = try domain.xml()
            let defined = try #require(
                xml.range(of: "<uuid>").flatMap { start in
                    xml.range(of: "</uuid>").map { String(xml[start.upperBound..<$0.lowerBound]) }
                })
            #expect(domain.uuid == defined, "\(domain.name)")
            #expect(records[domain.name] == defined, "\(domain.name)")
        }
    }

    @Test func bulkStatsReturnOneRecordPerDomain() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let records = try connection.stats(groups: [.state, .cpuTotal, .block])
        #expect(records.count == (try connection.allDomains().count))
        let centos = try #require(records.first { $0.name == "vm_centos7" })
        #expect(centos.values["state.state"] == .int(1))
    }

    @Test func vcpuInfoMatchesTheDefinition() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let domain = try connection.domain(name: "vm_centos7")
        let vcpus = try domain.vcpus(hostCPUs: try connection.hostCPUCount())
        #expect(vcpus.map(\.number) == [0, 1])
        #expect(vcpus.allSatisfy { !$0.affinity.isEmpty && $0.state == 1 })
        #expect(try domain.info().maxMemoryKiB == 1024 * 1024)
    }

    @Test func deviceCountersAndDefinition() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let domain = try connection.domain(name: "vm_centos7")
        #expect(try domain.blockStats("vda")["rd_bytes"] != nil)
        #expect(try domain.interfaceStats("testnet0").rxBytes >= 0)
        let xml = try domain.xml()
        #expect(xml.contains("<name>vm_centos7</name>"))
        #expect(try domain.isPersistent())
    }

    @Test func errorsCarryLibvirtsCode() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let error = #expect(throws: LibvirtError.self) { try connection.domain(name: "no-such-domain") }
        #expect(error?.code == .noDomain)
        #expect(error?.code.rawValue == Int32(bitPattern: VIR_ERR_NO_DOMAIN.rawValue))
        #expect(error?.operation == "virDomainLookupByName")
        #expect(error?.message.isEmpty == false)
    }

    /// Codes match in `catch` and `switch` the way swift-system's `Errno` does, not by message.
    @Test func errorCodesMatchInCatchAndSwitch() throws {
        let connection = try Connection(uri: TestHosts.demoURI)
        let shutOff = try connection.domain(name: "backup01")
        func caught(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "nothing"
            } catch LibvirtError.Code.noDomain {
                return "no domain"
            } catch let error as LibvirtError {
                switch error.code {
                case .operationInvalid: return "operation invalid"
                default: return "other \(error.code)"
                }
            } catch {
                return "not libvirt's"
            }
        }
        #expect(caught { _ = try connection.domain(uuid: "00000000-0000-0000-0000-000000000000") } == "no domain")
        #expect(caught { try shutOff.destroy() } == "operation invalid", "destroying a domain that is shut off")
        #expect(caught { throw CancellationError() } == "not libvirt's")
        #expect(!(LibvirtError.Code.noDomain ~= CancellationError()))
    }

    @Test func openingANonexistentHostFileFails() {
        #expect(throws: LibvirtError.self) { try Connection(uri: "test:///nonexistent/host.xml") }
    }

    @Test func lifecycleEventsArriveThroughTheCallback() async throws {
        try LibvirtEventLoop.start()
        let connection = try Connection(uri: TestHosts.demoURI)
        let (events, sink) = AsyncStream.makeStream(of: LifecycleEventInfo.self)
        try connection.onLifecycleEvent { sink.yield($0) }
        let deadline = Task {
            try await Task.sleep(for: .seconds(10))
            sink.finish()
        }
        defer { deadline.cancel() }
        let domain = try connection.domain(name: "backup01")
        try domain.create()
        try domain.destroy()
        var seen: [LifecycleEventInfo] = []
        for await event in events where event.name == "backup01" {
            seen.append(event)
            if seen.count == 2 { break }
        }
        // virDomainEventType: 2 started, 5 stopped; stopped detail 1 destroyed.
        #expect(seen.map(\.event) == [2, 5])
        #expect(seen.last?.detail == 1)
    }
}
