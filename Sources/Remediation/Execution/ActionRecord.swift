/// A decision and, for queued ones, the action's progress and outcome: what `GET /api/v1/actions` lists.
public struct ActionRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case decided
        case queued
        case running
        case finished
        case cancelled
        /// The agent stopped (or was killed) before the action finished; it is not run again.
        case interrupted
    }

    public var id: String
    public var time: Double
    public var source: String
    public var principal: String
    public var alertFingerprint: String?
    public var alertName: String?
    public var domain: String?
    public var domainUUID: String?
    public var action: RemediationAction?
    public var decision: Decision
    public var dryRun: Bool
    public var status: Status
    public var result: ActionResult?
    public var stateBefore: String?
    public var stateAfter: String?
    public var durationSeconds: Double?
    public var error: String?
    /// The steps of an action that takes more than one call (destroy then start, an escalating shutdown),
    /// in order, each with its own result.
    public var steps: [ActionStep]?

    enum CodingKeys: String, CodingKey {
        case id, time, source, principal, domain, action, decision, status, result, error, steps
        case alertFingerprint = "alert_fingerprint"
        case alertName = "alert_name"
        case domainUUID = "domain_uuid"
        case dryRun = "dry_run"
        case stateBefore = "state_before"
        case stateAfter = "state_after"
        case durationSeconds = "duration_seconds"
    }
}

/// One call of a multi-step action and how it ended.
public struct ActionStep: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable {
        case destroy
        case start
        case acpiShutdown = "acpi_shutdown"
        case agentShutdown = "agent_shutdown"
    }

    public var name: Name
    public var result: ActionResult
    public var detail: String?

    public init(_ name: Name, _ result: ActionResult, _ detail: String? = nil) {
        self.name = name
        self.result = result
        self.detail = detail
    }
}

/// The caller of a decision: the webhook or the manual API, and who authenticated.
public struct RequestOrigin: Sendable {
    public var source: String
    public var principal: String

    public init(source: String, principal: String) {
        self.source = source
        self.principal = principal
    }

    public static func webhook(_ principal: String) -> Self { .init(source: "alertmanager", principal: principal) }
    public static func api(_ principal: String) -> Self { .init(source: "api", principal: principal) }
}

/// Options a person or script may give a manual action.
public struct ManualOptions: Sendable, Equatable {
    public var forceAfterSeconds: Double?
    public var dryRun: Bool?

    public init(forceAfterSeconds: Double? = nil, dryRun: Bool? = nil) {
        self.forceAfterSeconds = forceAfterSeconds
        self.dryRun = dryRun
    }
}
