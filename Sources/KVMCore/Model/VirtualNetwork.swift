/// One libvirt virtual network as the collector last read it (`virsh net-list --all`, `net-info`).
public struct NetworkEntry: Sendable, Equatable {
    public var name: String
    public var uuid: String
    public var active: Bool
    public var autostart: Bool
    public var persistent: Bool
    /// The Linux bridge of the network (`virbr0`), empty for networks without one.
    public var bridge: String
    /// Leases the network's DHCP server holds; nil while inactive or where the driver cannot tell.
    public var dhcpLeases: Double?

    public init(
        name: String, uuid: String, active: Bool, autostart: Bool = false, persistent: Bool = true,
        bridge: String = "", dhcpLeases: Double? = nil
    ) {
        self.name = name
        self.uuid = uuid.lowercased()
        self.active = active
        self.autostart = autostart
        self.persistent = persistent
        self.bridge = bridge
        self.dhcpLeases = dhcpLeases
    }
}

/// A virtual network lifecycle event (`virNetworkEventLifecycleType`).
public struct NetworkEvent: Sendable, Equatable {
    public enum Kind: Int, Sendable, CaseIterable {
        case defined = 0
        case undefined = 1
        case started = 2
        case stopped = 3
    }

    public var name: String
    public var uuid: String
    /// nil for an event number this agent does not know.
    public var kind: Kind?

    public init(name: String, uuid: String, kind: Kind?) {
        self.name = name
        self.uuid = uuid.lowercased()
        self.kind = kind
    }
}
