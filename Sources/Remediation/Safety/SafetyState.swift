/// Everything that must survive a restart for remediation to stay safe: which alerts were acted on
/// (dedupe), each domain's recent actions (cooldown, rate limit) and quarantine, and actions in flight
/// (so a restart does not run them again). Times are seconds since the epoch.
public struct SafetyState: Codable, Sendable, Equatable {
    public struct DomainHistory: Codable, Sendable, Equatable {
        public var name: String
        public var actionTimes: [Double] = []
        public var quarantinedAt: Double?
        /// nil while quarantined means until released.
        public var quarantineUntil: Double?
        /// Restarts since the domain was last up for `stable_for`; nil is none (and reads older state files).
        public var restarts: Int?
        public var lastRestartAt: Double?
        /// When the restart budget ran out: the domain is left alone until released.
        public var budgetSpentAt: Double?
    }

    public var version = 1
    public var domains: [String: DomainHistory] = [:]
    /// Dedupe key (fingerprint, startsAt, action) to when it was first seen.
    public var seen: [String: Double] = [:]
    /// Actions queued or running, by id. Left over after a crash, they are audited as interrupted and
    /// never re-run: acting twice is worse than not acting, and the alert, if still firing, says so again.
    public var pending: [String: ActionPlan] = [:]
    public var nextActionNumber = 1
    /// Domains in maintenance, by UUID (absent in state files from before maintenance existed).
    public var maintenance: [String: MaintenanceWindow]?
    public var hostMaintenance: MaintenanceWindow?

    public init() {}

    /// How long dedupe keys are kept, and at most how many: a retried notification arrives within minutes.
    static let seenLifetime = 7 * 86_400.0
    static let seenLimit = 20_000

    public func isQuarantined(_ uuid: String, now: Double) -> Bool {
        guard let history = domains[uuid], history.quarantinedAt != nil else { return false }
        return history.quarantineUntil.map { now < $0 } ?? true
    }

    public func quarantinedCount(now: Double) -> Int {
        domains.keys.filter { isQuarantined($0, now: now) }.count
    }

    public func isBudgetSpent(_ uuid: String) -> Bool {
        domains[uuid]?.budgetSpentAt != nil
    }

    public var budgetSpentCount: Int {
        domains.values.filter { $0.budgetSpentAt != nil }.count
    }

    /// Gives the budget back when the domain stayed up `stableFor` after its last restart. `upUntil` is when
    /// it went down (its last state change), or now while it runs; nil when not known, which restores nothing.
    mutating func restoreBudgetIfStable(_ uuid: String, upUntil: Double?, stableFor: Double) {
        guard let history = domains[uuid], history.budgetSpentAt == nil, let last = history.lastRestartAt,
            let upUntil, upUntil - last >= stableFor
        else { return }
        domains[uuid]?.restarts = nil
        domains[uuid]?.lastRestartAt = nil
    }

    mutating func recordRestart(_ uuid: String, name: String, at now: Double) {
        var history = domains[uuid] ?? DomainHistory(name: name)
        history.restarts = min((history.restarts ?? 0) + 1, Self.counterLimit)
        history.lastRestartAt = now
        domains[uuid] = history
    }

    mutating func spendBudget(_ uuid: String, name: String, at now: Double) {
        var history = domains[uuid] ?? DomainHistory(name: name)
        history.budgetSpentAt = now
        domains[uuid] = history
    }

    public func lastAction(_ uuid: String) -> Double? {
        domains[uuid]?.actionTimes.last
    }

    public func actions(_ uuid: String, since: Double) -> Int {
        domains[uuid]?.actionTimes.filter { $0 >= since }.count ?? 0
    }

    mutating func recordAction(_ uuid: String, name: String, at now: Double, window: Double) {
        var history = domains[uuid] ?? DomainHistory(name: name)
        history.name = name
        history.actionTimes = history.actionTimes.filter { $0 >= now - window } + [now]
        domains[uuid] = history
    }

    mutating func quarantine(_ uuid: String, name: String, at now: Double, for duration: Double?) {
        var history = domains[uuid] ?? DomainHistory(name: name)
        history.quarantinedAt = now
        history.quarantineUntil = duration.map { now + $0 }
        domains[uuid] = history
    }

    /// Lifts a quarantine and forgets the actions that led to it, so the domain starts with a clean count.
    /// False when the domain was not quarantined (or its quarantine had run out).
    /// A spent restart budget is restored in full.
    mutating func release(_ uuid: String, now: Double) -> Bool {
        expireQuarantine(uuid, now: now)
        guard let history = domains[uuid], history.quarantinedAt != nil || history.budgetSpentAt != nil else {
            return false
        }
        domains[uuid]?.quarantinedAt = nil
        domains[uuid]?.quarantineUntil = nil
        domains[uuid]?.actionTimes = []
        domains[uuid]?.restarts = nil
        domains[uuid]?.lastRestartAt = nil
        domains[uuid]?.budgetSpentAt = nil
        return true
    }

    /// Ends a quarantine that has run out. The actions that caused it are kept: the policy requires
    /// `quarantine_for` to be at least `window`, so by now they have left the window anyway, and the limit of
    /// actions per window holds across the quarantine.
    mutating func expireQuarantine(_ uuid: String, now: Double) {
        guard let history = domains[uuid], history.quarantinedAt != nil, let until = history.quarantineUntil,
            until <= now
        else { return }
        domains[uuid]?.quarantinedAt = nil
        domains[uuid]?.quarantineUntil = nil
    }

    mutating func prune(now: Double, window: Double) {
        expireMaintenance(now: now)
        seen = seen.filter { now - $0.value < Self.seenLifetime }
        if seen.count > Self.seenLimit {
            let keep = seen.sorted { $0.value > $1.value }.prefix(Self.seenLimit)
            seen = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        for uuid in domains.keys {
            expireQuarantine(uuid, now: now)
            guard var history = domains[uuid] else { continue }
            history.actionTimes = history.actionTimes.filter { $0 >= now - window }
            let idle =
                history.actionTimes.isEmpty && history.quarantinedAt == nil && (history.restarts ?? 0) == 0
                && history.budgetSpentAt == nil
            domains[uuid] = idle ? nil : history
        }
    }
}

/// One action as it will be executed.
public struct ActionPlan: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        case start
        case resume
        case shutdown
        case reset
        case reboot
        case destroyThenStart = "destroy_then_start"
    }

    public var id: String
    public var domainUUID: String
    public var domainName: String
    public var action: RemediationAction
    public var operation: Operation
    public var shutdownTimeoutSeconds: Double
    public var forceAfterTimeout: Bool
    public var rule: String?
    /// Identifies the alert for `resolved` cancellation: fingerprint and startsAt.
    public var alertKey: String?
    public var source: String
    public var principal: String
}
