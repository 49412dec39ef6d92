import Foundation

/// An Alertmanager webhook notification, payload version 4. Fields the agent does not use are not read,
/// and unknown fields (newer Alertmanagers add some) are accepted.
public struct WebhookMessage: Sendable, Equatable {
    public var receiver: String
    public var groupKey: String
    public var status: AlertStatus
    public var truncatedAlerts: Int
    public var alerts: [Alert]
}

public enum AlertStatus: String, Sendable, Codable {
    case firing
    case resolved
}

public struct Alert: Sendable, Equatable {
    public var status: AlertStatus
    public var labels: [String: String]
    public var startsAt: String
    public var fingerprint: String

    public init(status: AlertStatus, labels: [String: String], startsAt: String, fingerprint: String) {
        self.status = status
        self.labels = labels
        self.startsAt = startsAt
        self.fingerprint = fingerprint
    }

    public var name: String { labels["alertname"] ?? "" }
}

/// Why a request body is not a notification the agent can act on; `reason` is short and safe to return.
public struct WebhookDecodingError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public var description: String { reason }
}

extension WebhookMessage {
    /// Decodes and validates a body. Anything malformed is rejected as a whole: a notification half
    /// understood must not lead to half of its actions.
    public static func decode(_ body: [UInt8]) throws -> WebhookMessage {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch let error as DecodingError {
            throw WebhookDecodingError(reason: Self.describe(error))
        } catch {
            throw WebhookDecodingError(reason: "body is not JSON")
        }
        guard wire.version == "4" else {
            throw WebhookDecodingError(reason: "version: only Alertmanager webhook version 4 is understood")
        }
        var alerts: [Alert] = []
        for (index, alert) in wire.alerts.enumerated() {
            guard !alert.fingerprint.isEmpty else {
                throw WebhookDecodingError(reason: "alerts[\(index)].fingerprint: must not be empty")
            }
            guard Self.isTimestamp(alert.startsAt) else {
                throw WebhookDecodingError(reason: "alerts[\(index)].startsAt: not an RFC 3339 time")
            }
            alerts.append(
                Alert(
                    status: alert.status, labels: alert.labels, startsAt: alert.startsAt, fingerprint: alert.fingerprint
                ))
        }
        return WebhookMessage(
            receiver: wire.receiver ?? "", groupKey: wire.groupKey ?? "", status: wire.status,
            truncatedAlerts: wire.truncatedAlerts ?? 0, alerts: alerts)
    }

    /// `2026-11-26T10:15:02Z`, with optional fractional seconds and a numeric offset instead of Z.
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let digit = { (i: Int) in i < bytes.count && (0x30...0x39).contains(bytes[i]) }
        let at = { (i: Int, c: Character) in i < bytes.count && bytes[i] == c.asciiValue! }
        let shape: [Int] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard shape.allSatisfy(digit), at(4, "-"), at(7, "-"), at(10, "T") || at(10, "t"), at(13, ":"), at(16, ":")
        else { return false }
        var i = 19
        if at(i, ".") {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if at(i, "Z") || at(i, "z") { return i + 1 == bytes.count }
        guard at(i, "+") || at(i, "-"), digit(i + 1), digit(i + 2), at(i + 3, ":"), digit(i + 4), digit(i + 5) else {
            return false
        }
        return i + 6 == bytes.count
    }

    private struct Wire: Decodable {
        var version: String
        var receiver: String?
        var groupKey: String?
        var status: AlertStatus
        var truncatedAlerts: Int?
        var alerts: [WireAlert]
    }

    private struct WireAlert: Decodable {
        var status: AlertStatus
        var labels: [String: String]
        var startsAt: String
        var fingerprint: String
    }

    /// "alerts[0].labels.domain: expected a string", without echoing the payload.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    // Label names come from the sender: long ones are cut, so a reason stays short.
                    let name = key.stringValue.count > 64 ? key.stringValue.prefix(64) + "…" : key.stringValue
                    text += text.isEmpty ? name : ".\(name)"
                }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.jsonName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.jsonName(type)), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "body is not valid JSON" }
            return "\(path(context.codingPath)): invalid value"
        @unknown default:
            return "body does not decode"
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is [String: String].Type, is [String: Any].Type: "an object"
        case is [Any].Type: "an array"
        default: "a different type"
        }
    }
}
