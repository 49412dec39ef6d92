import Foundation
import KVMCore

/// One line of the audit log: a decision or an action's outcome. Holds names and ids only, never
/// credentials or payloads.
public struct AuditRecord: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        case decision
        case outcome
        /// One step of a multi-step action, written as it ends: a kill between steps leaves what was done.
        case step
    }

    public var time: String
    public var event: Event
    public var source: String
    public var principal: String
    public var actionID: String?
    public var alertFingerprint: String?
    public var alertName: String?
    public var domain: String?
    public var domainUUID: String?
    public var action: String?
    public var decision: String?
    public var reason: String?
    public var detail: String?
    public var result: String?
    public var stateBefore: String?
    public var stateAfter: String?
    public var durationSeconds: Double?
    public var libvirtError: String?
    public var dryRun: Bool?
    /// A step line's step name.
    public var step: String?
    /// An outcome's steps, in order.
    public var steps: [ActionStep]?

    enum CodingKeys: String, CodingKey {
        case time, event, source, principal, detail, decision, reason, result, action, domain, step, steps
        case actionID = "action_id"
        case alertFingerprint = "alert_fingerprint"
        case alertName = "alert_name"
        case domainUUID = "domain_uuid"
        case stateBefore = "state_before"
        case stateAfter = "state_after"
        case durationSeconds = "duration_seconds"
        case libvirtError = "libvirt_error"
        case dryRun = "dry_run"
    }

    public init(time: Double, event: Event, source: String, principal: String) {
        self.time = UTCTimestamp.format(time)
        self.event = event
        self.source = source
        self.principal = principal
    }
}

/// The JSON-lines audit file. Each record is fsync'd before the call returns, so an answered request is
/// on disk even if the agent is killed right after.
public struct AuditLog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func append(_ record: AuditRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = Array(try encoder.encode(record))
        line.append(UInt8(ascii: "\n"))
        try DurableFile.append(path, line)
    }
}
