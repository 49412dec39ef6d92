import Libvirt
import Testing

/// The guest agent wrappers against libvirt's test driver, which fakes the agent's interface listing and
/// has no guest info at all.
@Suite struct GuestAgentWrapperTests {
    @Test func agentInterfaceAddressesAreCopiedOut() throws {
        let domain = try Connection(uri: "test:///default").domain(name: "test")
        let interfaces = try domain.guestInterfaces()
        let iface = try #require(interfaces.first)
        #expect(interfaces.count == 1)
        #expect(iface.name == "testnet0" && iface.hardwareAddress == "aa:bb:cc:dd:ee:ff")
        #expect(iface.addresses.map(\.address) == ["192.168.122.3"])
        #expect(iface.addresses.map(\.prefix) == [24] && iface.addresses.allSatisfy { !$0.isIPv6 })
    }

    @Test func guestInfoWhereTheDriverHasNoneIsATypedError() throws {
        let domain = try Connection(uri: "test:///default").domain(name: "test")
        let error = #expect(throws: LibvirtError.self) { try domain.guestInfo([.os, .hostname, .filesystem]) }
        #expect(error?.code == .noSupport)
    }

    @Test func agentLifecycleCallbackRegistersAndIsReleasedWithTheConnection() throws {
        try LibvirtEventLoop.start()
        let connection = try Connection(uri: "test:///default")
        try connection.onAgentLifecycleEvent { _ in }
        #expect(connection.isAlive)
    }
}
