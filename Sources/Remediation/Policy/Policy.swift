/// What the operator allows the agent to do, read from `--config.file`.
public struct Policy: Sendable {
    /// Global dry run: decisions are made and recorded, nothing is done. A rule may override it.
    public var dryRun = true
    public var host = HostSettings()
    public var stateFile = "/var/lib/kvm-agent/remediation-state.json"
    public var auditLog = "/var/lib/kvm-agent/audit.jsonl"
    public var tokensFile = ""
    public var limits = SafetyLimits()
    public var breaker = BreakerSettings()
    public var domains = DomainAllowList()
    public var api = ManualAPISettings()
    public var rules: [Rule] = []

    public init() {}
}

public enum RemediationAction: String, Sendable, Codable, CaseIterable {
    case start
    case shutdown
    /// A hard reset (`virDomainReset`), for a guest that no longer answers: its OS is not asked.
    case reset
    /// A reboot the guest is asked for (`virDomainReboot`: guest agent or ACPI).
    case reboot
}

public struct HostSettings: Sendable {
    /// The alert label that names the host the alert is about.
    public var label = "instance"
    /// Names this host answers to besides its hostname and FQDN (for example `kvm01:9760`).
    public var names: [String] = []
    /// Treat alerts without the host label (or with it empty) as this host's. Off: Alertmanager sends one
    /// alert to every agent, and a rule that drops the label would act on each host with such a domain.
    public var allowMissingLabel = false
}

public struct SafetyLimits: Sendable {
    /// No new action on a domain for this long after the last one.
    public var cooldown: Duration = .seconds(300)
    /// More actions than this on one domain within `window` quarantines it.
    public var maxActions = 3
    public var window: Duration = .seconds(3600)
    /// How long a quarantine lasts; nil keeps it until released through the API.
    public var quarantineFor: Duration? = .seconds(86_400)
    /// Actions running at once across all domains.
    public var concurrency = 2
    /// How long a start may take to be confirmed by libvirt's event.
    public var startTimeout: Duration = .seconds(60)
    /// How long a forced power-off may take to be confirmed.
    public var forceTimeout: Duration = .seconds(30)
    /// Restarts (start, reset, reboot) of one domain before it is left alone until released, like an HA
    /// manager's `max_restart`; nil: no such budget (the per-window limit still holds).
    public var maxRestarts: Int?
    /// A domain that stays up this long after a restart gets its whole budget back.
    public var stableFor: Duration = .seconds(600)
}

extension RemediationAction {
    /// Whether the action counts against the restart budget.
    public var isRestart: Bool { self != .shutdown }
}

/// Opens (stopping every action) while more than `maxDownRatio` of the managed domains are down, once there
/// are at least `minDomains` managed domains. A domain is down when it is crashed, shut off after a crash or
/// failure, or shut off while marked autostart: a host in that state needs a person, not a restart loop.
public struct BreakerSettings: Sendable {
    public var maxDownRatio = 0.5
    public var minDomains = 4
}

/// Which domains the agent may act on at all.
public struct DomainAllowList: Sendable {
    public var names: [String] = []
    public var uuids: Set<String> = []
    /// Domains that carry `<kvm-agent:remediation allow="yes"/>` in their libvirt metadata.
    public var metadataOptIn = true
    var nameGlobs: [AnchoredPattern] = []

    public func allows(name: String, uuid: String, optedIn: Bool) -> Bool {
        (metadataOptIn && optedIn) || uuids.contains(uuid.lowercased()) || nameGlobs.contains { $0.matches(name) }
    }
}

public struct ManualAPISettings: Sendable {
    /// Dry run for manual requests; the global setting when absent.
    public var dryRun: Bool?
    /// Whether `force_after_seconds` on a manual shutdown may power a domain off.
    public var allowForce = false
    public var allowOrchestrated = false
    public var allowTransient = false
    public var shutdownTimeout: Duration = .seconds(120)
    /// Larger request bodies to any action endpoint get 413. Alertmanager's notifications are a few KiB per
    /// alert; the default leaves room for groups of hundreds.
    public var maxBodyBytes = 1 << 20
}

public struct Rule: Sendable {
    public enum WhenPaused: String, Sendable {
        case resume
        case leave
    }

    /// What a start rule does with a domain that crashed but is still active (`on_crash` preserve, or paused
    /// with reason crashed or panicked), which libvirt refuses to start ("already active").
    public enum RecoverCrashed: String, Sendable {
        case leave
        /// Power it off (confirmed by the stopped event), then start it (confirmed by the started event).
        case destroyThenStart = "destroy_then_start"
    }

    public var name: String
    public var alertnames: [String]
    public var matchers: [LabelMatcher] = []
    public var action: RemediationAction
    public var whenPaused = WhenPaused.leave
    public var recoverCrashed = RecoverCrashed.leave
    /// Graceful (ACPI) shutdown waits this long for the domain to power off; a reboot, for its reset.
    public var shutdownTimeout: Duration = .seconds(120)
    /// Power the domain off when the graceful shutdown times out; reset it when a reboot does.
    public var forceAfterTimeout = false
    public var dryRun: Bool?
    public var allowOrchestrated = false
    public var allowTransient = false

    public init(name: String, alertnames: [String], action: RemediationAction) {
        self.name = name
        self.alertnames = alertnames
        self.action = action
    }

    public func matches(_ labels: [String: String]) -> Bool {
        guard let alertname = labels["alertname"], alertnames.contains(alertname) else { return false }
        return matchers.allSatisfy { $0.matches(labels) }
    }
}
