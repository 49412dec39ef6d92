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

extension GuestView {
    /// Forgets the channel state and the report (domain stopped, connection lost); in-flight reads of the
    /// channel state are then stale, so the serial moves on too.
    mutating func reset() {
        channel = .unknown
        report = nil
        reportedAt = nil
        timedOut = false
        eventSerial &+= 1
    }
}

extension InventoryStore {
    /// An agent lifecycle event: the channel state it gives wins over any XML read begun before it.
    public func applyAgentLifecycle(_ event: AgentLifecycleEvent) {
        update { inventory in
            guard var entry = inventory.domains[event.domain.uuid] else { return }
            entry.guest.eventSerial &+= 1
            entry.guest.channel = event.connected ? .connected : .disconnected
            if !event.connected {
                entry.guest.report = nil
                entry.guest.reportedAt = nil
                entry.guest.timedOut = false
            }
            inventory.domains[event.domain.uuid] = entry
        }
    }
}
