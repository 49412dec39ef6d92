import KVMCore

/// What the action module needs from the hypervisor. Calls may block for long; the engine gives each
/// a deadline.
public protocol DomainController: Sendable {
    /// The domain's current state, asked of the hypervisor (not the inventory).
    func state(_ domain: DomainRef) async throws -> DomainState
    func start(_ domain: DomainRef) async throws
    func resume(_ domain: DomainRef) async throws
    /// A graceful shutdown request (ACPI power button or guest agent): returns once asked, not once off.
    func shutdown(_ domain: DomainRef) async throws
    /// A shutdown through the guest agent: returns once asked, not once off.
    func agentShutdown(_ domain: DomainRef) async throws
    /// Immediate power-off.
    func destroy(_ domain: DomainRef) async throws
    /// A hard reset; the domain keeps running.
    func reset(_ domain: DomainRef) async throws
    /// A reboot request to the guest: returns once asked, not once rebooted.
    func reboot(_ domain: DomainRef) async throws
}

/// How an executed action ended; the `result` label of `kvm_agent_remediation_actions_total`.
public enum ActionResult: String, Sendable, Codable, CaseIterable {
    case success
    case failed
    case timeout
    case noop
    case forced
    /// The call succeeded and the domain is running, but no event confirmed it: a reset on a driver that
    /// sends no reboot event (libvirt's test driver), or whose event was lost with the connection.
    case unconfirmed
}

/// The agent's own metrics for remediation, implemented over the Prometheus registry by the agent.
public protocol RemediationTelemetry: Sendable {
    func decided(_ decision: Decision)
    func actionFinished(_ action: RemediationAction, result: ActionResult, seconds: Double)
    func status(inProgress: Int, quarantined: Int, breakerOpen: Bool, dryRun: Bool)
    /// Whether `file` (`audit_log` or `state_file`) could be written when last tried; called on each change.
    func storageWritable(_ file: String, _ writable: Bool)
    /// How many domains have spent their restart budget; called before each scrape renders.
    func restartBudgets(spent: Int)
    /// The host's and the domains' maintenance windows in force; called before each scrape renders.
    func maintenance(host: MaintenanceWindow?, domains: [MaintenanceWindow])
}

extension RemediationTelemetry {
    public func restartBudgets(spent: Int) {}
    public func maintenance(host: MaintenanceWindow?, domains: [MaintenanceWindow]) {}
}

/// A domain the agent leaves alone whatever the alerts say, and why: what the status page lists.
public struct RemediationHold: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case quarantined
        case restartBudgetSpent = "restart_budget_spent"
        case maintenance
    }

    public var domain: String
    public var uuid: String?
    public var kind: Kind
    public var since: Double?
    /// nil: until released (or, for maintenance, until ended).
    public var until: Double?
    public var by: String?
    public var reason: String?

    public init(
        domain: String, uuid: String?, kind: Kind, since: Double? = nil, until: Double? = nil, by: String? = nil,
        reason: String? = nil
    ) {
        self.domain = domain
        self.uuid = uuid
        self.kind = kind
        self.since = since
        self.until = until
        self.by = by
        self.reason = reason
    }
}
