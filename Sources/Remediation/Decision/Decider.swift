import KVMCore

/// Turns an alert or a manual request into a decision, from policy, the inventory and the safety state.
/// Pure apart from the safety state it is given: no I/O, no clock of its own, so every path is unit-tested.
struct Decider {
    let policy: Policy
    /// Lowercased names this host answers to (hostname, FQDN, configured names).
    let identities: Set<String>

    /// The domain an alert is about, from its `domain` or `domain_uuid` label.
    static func domainKey(_ labels: [String: String]) -> String? {
        if let uuid = labels["domain_uuid"], !uuid.isEmpty { return uuid }
        if let name = labels["domain"], !name.isEmpty { return name }
        return nil
    }

    static func lookup(_ key: String, in inventory: Inventory) -> DomainEntry? {
        inventory.domains[key.lowercased()] ?? inventory.domains.values.first { $0.ref.name == key }
    }

    /// Nil when the host label names this host, with or without a port. An alert without the label (or
    /// with it empty) is refused unless the policy allows that: the same alert reaches every agent.
    func hostCheck(_ labels: [String: String]) -> Decision? {
        let label = policy.host.label
        guard let value = labels[label]?.lowercased(), !value.isEmpty else {
            if policy.host.allowMissingLabel { return nil }
            return Decision(
                .skipped, .noHostLabel, "the alert has no \(label) label; set host.allow_missing_label to accept it")
        }
        if identities.contains(value) || identities.contains(Self.hostPart(value)) { return nil }
        return Decision(.skipped, .notThisHost, "\(label) \(value) is another host")
    }

    static func hostPart(_ address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            return String(address[..<colon])
        }
        return address
    }

    func rule(for labels: [String: String]) -> Rule? {
        policy.rules.first { $0.matches(labels) }
    }

    /// Allow-list, orchestrator and persistence checks: who the domain belongs to.
    func ownership(
        _ entry: DomainEntry, allowOrchestrated: Bool, allowTransient: Bool
    ) -> Decision? {
        guard let config = entry.config else {
            return Decision(.skipped, .configNotRead, "the domain's definition has not been read yet")
        }
        guard policy.domains.allows(name: entry.ref.name, uuid: entry.ref.uuid, optedIn: config.remediationOptIn)
        else {
            return Decision(.skipped, .domainNotAllowed, "\(entry.ref.name) is not in the policy's allowed domains")
        }
        if let owner = config.orchestrator, !allowOrchestrated {
            return Decision(.skipped, .orchestrated, "\(entry.ref.name) is managed by \(owner)")
        }
        if !config.persistent && !allowTransient {
            return Decision(.skipped, .transient, "\(entry.ref.name) is transient")
        }
        return nil
    }

    /// Nothing to do when the domain is already where the action would take it; nil when there is.
    func stateCheck(
        _ entry: DomainEntry, action: RemediationAction, whenPaused: Rule.WhenPaused,
        recoverCrashed: Rule.RecoverCrashed = .leave
    ) -> Decision? {
        // Before the paused cases: resuming a guest that crashed would run it on from the crash.
        if action == .start, Self.crashedButActive(entry) {
            guard recoverCrashed == .destroyThenStart else {
                return Decision(
                    .skipped, .crashedLeftAlone,
                    "\(entry.ref.name) is \(entry.state.name) (\(entry.reason)) and still active; a start needs "
                        + "recover_crashed: destroy_then_start")
            }
            return nil
        }
        switch (action, entry.state) {
        case (.start, .running), (.start, .blocked), (.start, .shutdown):
            return Decision(.nothingToDo, .alreadyRunning, "\(entry.ref.name) is \(entry.state.name)")
        case (.start, .paused) where whenPaused == .leave, (.start, .pmsuspended):
            return Decision(.nothingToDo, .pausedLeftAlone, "\(entry.ref.name) is \(entry.state.name); rule leaves it")
        case (.shutdown, let state) where !state.isActive:
            return Decision(.nothingToDo, .alreadyShutOff, "\(entry.ref.name) is \(state.name)")
        case (.reset, let state), (.reboot, let state):
            // A paused guest is not hung, a crashed one needs more than a reset, a stopped one nothing.
            guard state == .running || state == .blocked else {
                return Decision(
                    .nothingToDo, .notRunning, "\(entry.ref.name) is \(state.name); nothing to \(action.rawValue)")
            }
            return nil
        default:
            return nil
        }
    }

    /// Quarantine, breaker, cooldown and rate limit, in that order. Reaching the rate limit quarantines
    /// the domain (recorded in `safety`).
    func safetyCheck(
        _ entry: DomainEntry, action: RemediationAction, inventory: Inventory, safety: inout SafetyState, now: Double
    ) -> Decision? {
        let uuid = entry.ref.uuid
        let limits = policy.limits
        safety.expireQuarantine(uuid, now: now)
        if safety.isQuarantined(uuid, now: now) {
            return Decision(.skipped, .quarantined, "\(entry.ref.name) is quarantined until released or expired")
        }
        if let budget = restartBudget(entry, action: action, safety: &safety, now: now) { return budget }
        if let open = breakerOpen(inventory) {
            return Decision(.skipped, .breakerOpen, open)
        }
        if let last = safety.lastAction(uuid), now - last < limits.cooldown.seconds {
            return Decision(
                .skipped, .cooldown,
                "last action on \(entry.ref.name) \(wholeSeconds(now - last)) s ago; cooldown \(wholeSeconds(limits.cooldown.seconds)) s"
            )
        }
        if safety.actions(uuid, since: now - limits.window.seconds) >= limits.maxActions {
            safety.quarantine(uuid, name: entry.ref.name, at: now, for: limits.quarantineFor?.seconds)
            return Decision(
                .skipped, .quarantined,
                "\(limits.maxActions) actions on \(entry.ref.name) within \(wholeSeconds(limits.window.seconds)) s; quarantined"
            )
        }
        return nil
    }

    /// Crashed with `on_crash` preserve (state crashed), or paused by a crash or a guest panic: libvirt keeps
    /// such a domain active, so it must be destroyed before it can start.
    static func crashedButActive(_ entry: DomainEntry) -> Bool {
        entry.state == .crashed || (entry.state == .paused && ["crashed", "panicked"].contains(entry.reason))
    }

    /// The restart budget, where the policy sets one: restored when the domain stayed up `stable_for` after its
    /// last restart (until its last state change, or until now while it runs); spent, for good until released,
    /// when `max_restarts` restarts came without such a stable period.
    func restartBudget(
        _ entry: DomainEntry, action: RemediationAction, safety: inout SafetyState, now: Double
    ) -> Decision? {
        guard let maxRestarts = policy.limits.maxRestarts, action.isRestart else { return nil }
        let uuid = entry.ref.uuid
        let up = entry.state == .running || entry.state == .blocked
        safety.restoreBudgetIfStable(
            uuid, upUntil: up ? now : entry.stateChangedAt, stableFor: policy.limits.stableFor.seconds)
        if let spent = safety.domains[uuid]?.budgetSpentAt {
            return Decision(
                .skipped, .restartBudgetSpent,
                "\(entry.ref.name) used up its \(maxRestarts) restarts \(wholeSeconds(now - spent)) s ago; left alone "
                    + "until released")
        }
        guard (safety.domains[uuid]?.restarts ?? 0) >= maxRestarts else { return nil }
        safety.spendBudget(uuid, name: entry.ref.name, at: now)
        return Decision(
            .skipped, .restartBudgetSpent,
            "\(maxRestarts) restarts of \(entry.ref.name) without \(wholeSeconds(policy.limits.stableFor.seconds)) s "
                + "up in between; left alone until released")
    }

    /// A reason when more than the configured share of managed domains is down.
    func breakerOpen(_ inventory: Inventory) -> String? {
        let managed = inventory.domains.values.filter { entry in
            guard let config = entry.config else { return false }
            return policy.domains.allows(name: entry.ref.name, uuid: entry.ref.uuid, optedIn: config.remediationOptIn)
        }
        guard managed.count >= policy.breaker.minDomains else { return nil }
        let down = managed.filter(Self.isDown).count
        guard Double(down) > policy.breaker.maxDownRatio * Double(managed.count) else { return nil }
        return "\(down) of \(managed.count) managed domains are down; breaker opens above "
            + "\(wholeSeconds(policy.breaker.maxDownRatio * 100)) %"
    }

    static func isDown(_ entry: DomainEntry) -> Bool {
        switch entry.state {
        case .crashed: return true
        case .shutoff: return entry.config?.autostart == true || ["crashed", "failed"].contains(entry.reason)
        default: return false
        }
    }
}
