/// What the agent decided about one alert or request, returned to the caller at once and audited.
public struct Decision: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// An action was queued; its outcome comes later.
        case queued
        /// The domain is already where the action would take it.
        case nothingToDo = "nothing_to_do"
        /// Policy or safety said no.
        case skipped
        /// The action would have been queued; dry run is on.
        case dryRun = "dry_run"
        /// A resolved alert removed its action from the queue.
        case cancelled
        /// The domain or the host is in maintenance, or the domain opts out: never acted on.
        case maintenance
    }

    public var kind: Kind
    public var reason: Reason
    /// One line for people, never containing credentials or payload text beyond names.
    public var detail: String

    public init(_ kind: Kind, _ reason: Reason, _ detail: String = "") {
        self.kind = kind
        self.reason = reason
        self.detail = detail
    }
}

/// Every reason a decision can have; the `reason` label of `kvm_agent_remediation_decisions_total`.
public enum Reason: String, Sendable, Codable, CaseIterable {
    case ruleMatched = "rule_matched"
    case manualRequest = "manual_request"
    case alreadyRunning = "already_running"
    case alreadyShutOff = "already_shut_off"
    /// A reset or reboot of a domain that is not running.
    case notRunning = "not_running"
    case pausedLeftAlone = "paused_left_alone"
    /// A start of a domain that crashed but is still active, where the rule does not recover crashed ones.
    case crashedLeftAlone = "crashed_left_alone"
    case notThisHost = "not_this_host"
    case noHostLabel = "no_host_label"
    case noMatchingRule = "no_matching_rule"
    case noDomainLabel = "no_domain_label"
    case unknownDomain = "unknown_domain"
    case domainNotAllowed = "domain_not_allowed"
    case orchestrated = "orchestrated_domain"
    case transient = "transient_domain"
    case configNotRead = "domain_config_not_read"
    case actionPending = "action_pending"
    case cooldown
    case quarantined
    /// The domain is in maintenance (set through the API, with an expiry).
    case domainMaintenance = "domain_maintenance"
    /// The whole host is in maintenance.
    case hostMaintenance = "host_maintenance"
    /// The domain's libvirt metadata says `<kvm-agent:remediation allow="no"/>`: wins over every allow rule.
    case metadataOptOut = "metadata_opt_out"
    /// The domain used up its restart budget (`limits.max_restarts`); left alone until released.
    case restartBudgetSpent = "restart_budget_spent"
    case breakerOpen = "breaker_open"
    case duplicate
    case forceNotAllowed = "force_not_allowed"
    case resolvedCancelled = "resolved_cancelled_queued_action"
    case resolvedInFlight = "resolved_action_in_flight"
    case resolvedNothingQueued = "resolved_nothing_queued"
}
