import Foundation
import KVMCore

/// A domain as a test describes it; `entry` turns it into the inventory's view.
struct TestDomain: Sendable {
    var ref: DomainRef
    var state: DomainState
    var reason = "unknown"
    var persistent = true
    var autostart = false
    var orchestrator: String?
    var optedIn = false
    var optedOut = false
    /// The guest agent's channel is connected.
    var agentConnected = false
    /// False leaves `config` nil, as before the collector has read the definition.
    var configRead = true

    init(
        _ name: String, _ number: Int, state: DomainState = .shutoff, reason: String = "unknown",
        persistent: Bool = true, autostart: Bool = false, orchestrator: String? = nil, optedIn: Bool = false,
        configRead: Bool = true
    ) {
        ref = Self.ref(name, number)
        self.state = state
        self.reason = reason
        self.persistent = persistent
        self.autostart = autostart
        self.orchestrator = orchestrator
        self.optedIn = optedIn
        self.configRead = configRead
    }

    static func ref(_ name: String, _ number: Int) -> DomainRef {
        DomainRef(uuid: String(format: "5B2F7E10-3C4D-4E5F-8A9B-%012d", number), name: name)
    }

    var entry: DomainEntry {
        var entry = DomainEntry(ref: ref, state: state, reason: reason)
        if agentConnected { entry.guest.channel = .connected }
        if configRead {
            var config = DomainConfig()
            config.persistent = persistent
            config.autostart = autostart
            config.orchestrator = orchestrator
            config.remediationOptIn = optedIn
            config.remediationOptOut = optedOut
            entry.config = config
        }
        return entry
    }
}

/// An inventory with libvirt connected and the given domains.
func makeInventory(_ domains: [TestDomain], libvirtUp: Bool = true) -> Inventory {
    var inventory = Inventory()
    inventory.libvirtUp = libvirtUp
    for domain in domains { inventory.domains[domain.ref.uuid] = domain.entry }
    return inventory
}
