/// Whether a running domain's QEMU guest agent channel is connected: learned from the live XML once per
/// connection, then kept current by agent lifecycle events.
public enum GuestAgentChannel: Sendable, Equatable {
    /// Not read yet on this connection.
    case unknown
    /// The domain has no `org.qemu.guest_agent.0` channel.
    case absent
    case connected
    case disconnected
}

/// What the guest's own agent said at its last answer (`virsh guestinfo`, `virsh domifaddr --source agent`).
public struct GuestAgentReport: Sendable, Equatable {
    public struct OS: Sendable, Equatable {
        /// os-release's ID, NAME, PRETTY_NAME, VERSION, VERSION_ID; uname's release and machine.
        public var id = ""
        public var name = ""
        public var prettyName = ""
        public var version = ""
        public var versionID = ""
        public var kernelRelease = ""
        public var machine = ""

        public init() {}
    }

    public struct FileSystem: Sendable, Equatable {
        public var mountPoint: String
        public var type: String
        /// The guest's device name (`vda1`).
        public var device: String
        public var totalBytes: Double?
        public var usedBytes: Double?

        public init(mountPoint: String, type: String, device: String, totalBytes: Double?, usedBytes: Double?) {
            self.mountPoint = mountPoint
            self.type = type
            self.device = device
            self.totalBytes = totalBytes
            self.usedBytes = usedBytes
        }
    }

    public struct Address: Sendable, Equatable, Comparable {
        public var interface: String
        /// ipv4 or ipv6.
        public var family: String
        public var address: String
        public var prefixLength: Int

        public init(interface: String, family: String, address: String, prefixLength: Int) {
            self.interface = interface
            self.family = family
            self.address = address
            self.prefixLength = prefixLength
        }

        public static func < (a: Self, b: Self) -> Bool {
            (a.interface, a.family, a.address) < (b.interface, b.family, b.address)
        }
    }

    public var os: OS?
    public var hostname: String?
    public var fileSystems: [FileSystem] = []
    public var addresses: [Address] = []

    public init() {}
}

/// One interface as the guest agent lists it, before the report keeps what it exposes.
public struct GuestInterfaceAddresses: Sendable, Equatable {
    public struct Address: Sendable, Equatable {
        public var isIPv6: Bool
        public var address: String
        public var prefixLength: Int

        public init(isIPv6: Bool, address: String, prefixLength: Int) {
            self.isIPv6 = isIPv6
            self.address = address
            self.prefixLength = prefixLength
        }
    }

    public var name: String
    public var addresses: [Address]

    public init(name: String, addresses: [Address]) {
        self.name = name
        self.addresses = addresses
    }
}

/// The guest agent side of a domain in the inventory.
public struct GuestView: Sendable, Equatable {
    public var channel = GuestAgentChannel.unknown
    /// The last report; nil when the agent is not connected or did not answer the last round.
    public var report: GuestAgentReport?
    /// When `report` was received, in seconds since the epoch.
    public var reportedAt: Double?
    /// The last round ran past its deadline (or an earlier one is still stuck).
    public var timedOut = false
    /// Whether the connected agent answered the last round; nil before the first round on this channel.
    public var answered: Bool?
    /// Bumped by every agent lifecycle event, so that a channel state read from the XML before an event
    /// arrived does not overwrite what the event said.
    var eventSerial: UInt64 = 0

    public init() {}
}

/// `VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE` as the core sees it.
public struct AgentLifecycleEvent: Sendable, Equatable {
    public var domain: DomainRef
    public var connected: Bool

    public init(domain: DomainRef, connected: Bool) {
        self.domain = domain
        self.connected = connected
    }

    /// `virConnectDomainEventAgentLifecycleState`: 1 connected, 2 disconnected; other values tell nothing.
    public init?(domain: DomainRef, stateCode: Int) {
        switch stateCode {
        case 1: self.init(domain: domain, connected: true)
        case 2: self.init(domain: domain, connected: false)
        default: return nil
        }
    }
}
