/// What the guest agent collector needs from a hypervisor. Kept apart from `Hypervisor`: only the calls that
/// reach into a guest, on an interval of their own.
public protocol GuestAgentSource: Sendable {
    /// The guest agent channel's state in the running domain's live XML. Cheap: it does not reach the guest.
    func guestAgentChannel(_ domain: DomainRef) async throws -> GuestAgentChannel
    /// One round with the guest's agent: `virDomainGetGuestInfo`'s typed parameters (os, hostname,
    /// filesystem), and the agent's interface addresses (nil when only that call failed). Throws when the
    /// agent does not answer.
    func guestAgentAnswer(_ domain: DomainRef) async throws -> GuestAgentAnswer
}

public struct GuestAgentAnswer: Sendable, Equatable {
    public var info: [String: StatValue]
    public var interfaces: [GuestInterfaceAddresses]?

    public init(info: [String: StatValue], interfaces: [GuestInterfaceAddresses]?) {
        self.info = info
        self.interfaces = interfaces
    }
}
