import CLibvirt
import Glibc

/// What the QEMU guest agent tells about the guest. Every call here travels into the guest and waits for
/// its agent: callers give it a deadline and must not call it on a connection whose slots matter more.
extension Domain {
    /// `virDomainGuestInfoTypes` bits. libvirt 9.0 has no load type (`VIR_DOMAIN_GUEST_INFO_LOAD` came later).
    public struct GuestInfoTypes: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let os = GuestInfoTypes(rawValue: VIR_DOMAIN_GUEST_INFO_OS.rawValue)
        public static let hostname = GuestInfoTypes(rawValue: VIR_DOMAIN_GUEST_INFO_HOSTNAME.rawValue)
        public static let filesystem = GuestInfoTypes(rawValue: VIR_DOMAIN_GUEST_INFO_FILESYSTEM.rawValue)
    }

    /// `virsh guestinfo`: libvirt's typed parameters (`os.name`, `hostname`, `fs.0.mountpoint`, …).
    public func guestInfo(_ types: GuestInfoTypes) throws(LibvirtError) -> [String: TypedValue] {
        var params: virTypedParameterPtr? = nil
        var count: Int32 = 0
        _ = try check(virDomainGetGuestInfo(pointer, types.rawValue, &params, &count, 0), "virDomainGetGuestInfo")
        defer { virTypedParamsFree(params, count) }
        return TypedValue.dictionary(params, count: count)
    }

    public struct GuestInterface: Sendable, Equatable {
        public struct Address: Sendable, Equatable {
            public var isIPv6: Bool
            public var address: String
            public var prefix: Int
        }

        public var name: String
        public var hardwareAddress: String?
        public var addresses: [Address]
    }

    /// `virsh domifaddr --source agent`: the guest's interfaces and their addresses as its agent reports them.
    public func guestInterfaces() throws(LibvirtError) -> [GuestInterface] {
        var list: UnsafeMutablePointer<virDomainInterfacePtr?>? = nil
        let count = try check(
            virDomainInterfaceAddresses(pointer, &list, UInt32(VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT.rawValue), 0),
            "virDomainInterfaceAddresses")
        defer {
            for index in 0..<Int(count) { virDomainInterfaceFree(list?[index]) }
            free(list)
        }
        return (0..<Int(count)).compactMap { index -> GuestInterface? in
            guard let iface = list?[index]?.pointee else { return nil }
            let addresses = (0..<Int(iface.naddrs)).compactMap { slot -> GuestInterface.Address? in
                guard let entry = iface.addrs?[slot], let text = entry.addr else { return nil }
                return GuestInterface.Address(
                    isIPv6: entry.type == Int32(VIR_IP_ADDR_TYPE_IPV6.rawValue), address: String(cString: text),
                    prefix: Int(entry.prefix))
            }
            return GuestInterface(
                name: iface.name.map { String(cString: $0) } ?? "",
                hardwareAddress: iface.hwaddr.map { String(cString: $0) },
                addresses: addresses)
        }
    }
}

/// An agent lifecycle event: the guest agent's channel connected (`state` 1) or disconnected (2), with
/// libvirt's reason (`virConnectDomainEventAgentLifecycleReason`).
public struct AgentLifecycleEventInfo: Sendable, Equatable {
    public var name: String
    public var uuid: String
    public var state: Int
    public var reason: Int
}

private let agentLifecycleTrampoline: virConnectDomainEventAgentLifecycleCallback = {
    _, domain, state, reason, opaque in
    guard let opaque, let domain else { return }
    let box = Unmanaged<HandlerBox<AgentLifecycleEventInfo>>.fromOpaque(opaque).takeUnretainedValue()
    let name = Domain.nameString(domain)
    box.handler(
        AgentLifecycleEventInfo(name: name, uuid: Domain.uuidString(domain), state: Int(state), reason: Int(reason)))
}

extension Connection {
    /// Calls `handler` on libvirt's event thread whenever a domain's guest agent connects or disconnects.
    /// Removed with the connection, like the lifecycle callback.
    public func onAgentLifecycleEvent(
        _ handler: @escaping @Sendable (AgentLifecycleEventInfo) -> Void
    ) throws(LibvirtError) {
        let id = try registerCallback(handler, "virConnectDomainEventRegisterAny(agent lifecycle)") {
            kvmshim_register_agent_lifecycle(pointer, agentLifecycleTrampoline, $0, releaseBox)
        }
        rememberEventCallback(id)
    }
}
