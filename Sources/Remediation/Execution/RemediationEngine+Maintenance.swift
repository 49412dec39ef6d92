import KVMCore
import Logging
import Synchronization

extension RemediationEngine {
    /// Why an alert or request about `entry` is not acted on at all, or nil: the domain's metadata opts it out
    /// (`<kvm-agent:remediation allow="no"/>`, which wins over every allow rule), the host or the domain is in
    /// maintenance.
    func maintenanceCheck(_ entry: DomainEntry, safety: SafetyState, now: Double) -> Decision? {
        let name = entry.ref.name
        if entry.config?.remediationOptOut == true {
            return Decision(.maintenance, .metadataOptOut, "\(name) opts out in its libvirt metadata (allow=\"no\")")
        }
        if let host = safety.hostMaintenance(now: now) {
            return Decision(
                .maintenance, .hostMaintenance,
                "the host is in maintenance until \(UTCTimestamp.format(host.until)), set by \(host.setBy): \(host.reason)"
            )
        }
        if let window = safety.maintenance(entry.ref.uuid, now: now) {
            return Decision(
                .maintenance, .domainMaintenance,
                "\(name) is in maintenance until \(UTCTimestamp.format(window.until)), set by \(window.setBy): "
                    + window.reason)
        }
        return nil
    }

    /// The maintenance (or opt-out) that now holds the plan's domain, if any: checked again when a queued
    /// action is about to run.
    func heldSinceQueued(_ plan: ActionPlan) -> Decision? {
        let safety = state.withLock { $0.safety }
        let entry =
            inventory().domains[plan.domainUUID]
            ?? DomainEntry(ref: DomainRef(uuid: plan.domainUUID, name: plan.domainName), state: .nostate, reason: "")
        return maintenanceCheck(entry, safety: safety, now: clock())
    }

    /// Puts a domain (`key`), or the whole host (nil), in maintenance for `seconds`. Audited; saved before it
    /// returns. Throws `UnknownDomain` for a domain this host does not have.
    public func startMaintenance(
        _ key: String?, seconds: Double, reason: String, from origin: RequestOrigin
    ) throws -> MaintenanceWindow {
        let entry = try key.map { key in
            guard let entry = Decider.lookup(key, in: inventory()) else { throw UnknownDomain(key: key) }
            return entry
        }
        return try changeMaintenance { safety, now in
            let window = MaintenanceWindow(
                name: entry?.ref.name ?? "", setBy: origin.principal, reason: reason, since: now,
                until: now + min(max(seconds, 0), MaintenanceWindow.longest))
            if let entry { safety.setMaintenance(entry.ref.uuid, window) } else { safety.hostMaintenance = window }
            var line = AuditRecord(time: now, event: .decision, source: origin.source, principal: origin.principal)
            line.domain = entry?.ref.name
            line.domainUUID = entry?.ref.uuid
            line.decision = "maintenance_started"
            line.reason = reason
            line.detail = "\(entry.map { $0.ref.name } ?? "the host") until \(UTCTimestamp.format(window.until))"
            return (window, line)
        }
    }

    /// Ends a domain's (or, for nil, the host's) maintenance. False when there was none.
    public func endMaintenance(_ key: String?, from origin: RequestOrigin) throws -> Bool {
        let entry = key.flatMap { Decider.lookup($0, in: inventory()) }
        let known = state.withLock { engine in
            key.flatMap { key in
                engine.safety.maintenance?.first { $0.key == key.lowercased() || $0.value.name == key }?.key
            }
        }
        if let key, entry == nil && known == nil { throw UnknownDomain(key: key) }
        let uuid = entry?.ref.uuid ?? known
        return try changeMaintenance { safety, now in
            let ended = uuid.map { safety.endMaintenance($0, now: now) } ?? safety.endHostMaintenance(now: now)
            guard ended else { return (false, nil) }
            var line = AuditRecord(time: now, event: .decision, source: origin.source, principal: origin.principal)
            line.domain = entry?.ref.name ?? key
            line.domainUUID = uuid
            line.decision = "maintenance_ended"
            line.detail = "\(key ?? "the host") is acted on again"
            return (true, line)
        }
    }

    /// Domains and the host in maintenance now, for the status page.
    func maintenanceHolds(_ safety: SafetyState, now: Double) -> [RemediationHold] {
        var holds: [RemediationHold] = []
        if let host = safety.hostMaintenance(now: now) {
            holds.append(
                RemediationHold(
                    domain: "(the whole host)", uuid: nil, kind: .maintenance, since: host.since, until: host.until,
                    by: host.setBy, reason: host.reason))
        }
        for (uuid, window) in safety.domainsInMaintenance(now: now).sorted(by: { $0.value.name < $1.value.name }) {
            holds.append(
                RemediationHold(
                    domain: window.name, uuid: uuid, kind: .maintenance, since: window.since, until: window.until,
                    by: window.setBy, reason: window.reason))
        }
        return holds
    }

    /// One writer's change to the maintenance state: on a copy, saved and audited, then installed; nothing
    /// changes when a write fails.
    private func changeMaintenance<T>(
        _ change: (inout SafetyState, Double) -> (T, AuditRecord?)
    ) throws -> T {
        try commit.withLock { _ in
            try checkAuditWritable()
            let current = state.withLock { $0.safety }
            var safety = current
            let now = clock()
            safety.expireMaintenance(now: now)
            let (result, line) = change(&safety, now)
            guard let line else { return result }
            try persist(safety, replacing: current, audit: [line])
            state.withLock { $0.safety = safety }
            logger.notice(
                "remediation maintenance",
                metadata: [
                    "change": "\(line.decision ?? "")", "domain": "\(line.domain ?? "(host)")",
                    "principal": "\(line.principal)",
                ])
            return result
        }
    }
}
