extension GuestView {
    /// Forgets the channel state and the report (domain stopped, connection lost); in-flight reads of the
    /// channel state are then stale, so the serial moves on too.
    mutating func reset() {
        channel = .unknown
        report = nil
        reportedAt = nil
        timedOut = false
        answered = nil
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
            // A new channel (or none): the last round's answer was another agent's.
            entry.guest.answered = nil
            inventory.domains[event.domain.uuid] = entry
        }
    }
}
