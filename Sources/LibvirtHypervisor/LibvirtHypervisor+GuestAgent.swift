import KVMCore
import Libvirt

extension LibvirtHypervisor: GuestAgentSource {
    /// From the live XML on the control connection: reading it takes no job and never reaches the guest.
    public func guestAgentChannel(_ ref: DomainRef) async throws -> GuestAgentChannel {
        let xml = try await withDomain(ref) { try $0.xml() }
        return try GuestAgentDecoder().channel(domainXML: xml)
    }

    /// On the stats connection, whose request slots the collector's cap on abandoned calls protects: a
    /// guest agent that hangs is one more stuck call there, never one on the control connection.
    public func guestAgentAnswer(_ ref: DomainRef) async throws -> GuestAgentAnswer {
        let domain = try await handle(ref, in: try current())
        return try await blocking {
            let info = try domain.guestInfo([.os, .hostname, .filesystem])
            // The interface listing is a second agent command: an agent too old for it still gives the rest.
            let interfaces = try? domain.guestInterfaces().map { iface in
                GuestInterfaceAddresses(
                    name: iface.name,
                    addresses: iface.addresses.map {
                        GuestInterfaceAddresses.Address(isIPv6: $0.isIPv6, address: $0.address, prefixLength: $0.prefix)
                    })
            }
            return GuestAgentAnswer(info: info.mapValues(StatValue.init), interfaces: interfaces)
        }
    }
}
