/// Random damage to a valid notification, and an independent judgement of what a correct decoder makes of
/// the result.
enum NotificationMutator {
    static let validTimestamps: Set<String> = [
        "2026-11-26T10:15:02.123Z", "2026-11-26T11:00:00Z", "2026-11-26T10:50:00Z", "2026-11-26T10:15:02+01:00",
        "2026-11-26t10:15:02.5z",
    ]
    static let invalidTimestamps = [
        "2026-11-26 10:15:02Z", "2026-11-26T10:15:02", "", "0001-01-01", "2026-11-26T10:15:02.Z", "yesterday",
    ]
    static let numbers = [
        "0", "-1", "4", "3.5", "1e400", "-1e400", "123456789012345678901234567890", "9223372036854775808", "2e-400",
    ]

    static func randomValue(using rng: inout SplitMix) -> JSONValue {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return .number(rng.pick(numbers))
        case 1: return .string(rng.unicodeString())
        case 2: return .bool(rng.chance(0.5))
        case 3: return .null
        case 4: return .array([])
        case 5: return .object([])
        case 6: return .array([.string(rng.unicodeString()), .number(rng.pick(numbers))])
        default: return .object([(key: rng.unicodeString(maxLength: 4), value: .string(rng.unicodeString()))])
        }
    }

    /// One to three random changes.
    static func mutate(_ document: JSONValue, using rng: inout SplitMix) -> JSONValue {
        var result = document
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            result = mutateOnce(result, using: &rng)
        }
        return result
    }

    private static func mutateOnce(_ document: JSONValue, using rng: inout SplitMix) -> JSONValue {
        let alertCount: Int
        if case .array(let alerts) = document["alerts"] { alertCount = alerts.count } else { alertCount = 0 }
        let alert: [JSONPathStep] = [
            .key("alerts"), .index(alertCount == 0 ? 0 : Int.random(in: 0..<alertCount, using: &rng)),
        ]
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:
            guard let path = document.paths().randomElement(using: &rng) else { return document }
            return document.setting(path, to: nil)
        case 1:
            guard let path = document.paths().randomElement(using: &rng) else { return document }
            return document.setting(path, to: randomValue(using: &rng))
        case 2, 3:
            let name =
                rng.chance(0.2) ? rng.pick(["domain", "alertname", "instance"]) : rng.unicodeString(maxLength: 6)
            return document.setting(
                alert + [.key("labels"), .key(name)], to: .string(rng.unicodeString(maxLength: 40)))
        case 4:
            let version: [JSONValue] = [.string("4"), .string("3"), .number("4"), .string(""), .string("4 ")]
            return document.setting([.key("version")], to: rng.pick(version))
        case 5:
            let stamp = rng.chance(0.5) ? rng.pick(Array(validTimestamps)) : rng.pick(invalidTimestamps)
            return document.setting(alert + [.key("startsAt")], to: .string(stamp))
        case 6:
            return document.setting(
                alert + [.key("fingerprint")], to: .string(rng.chance(0.5) ? "" : rng.unicodeString()))
        case 7:
            let status: [JSONValue] = [.string("firing"), .string("resolved"), .string("Firing"), .string("pending")]
            return document.setting(rng.chance(0.5) ? [.key("status")] : alert + [.key("status")], to: rng.pick(status))
        default:
            guard case .array(let alerts) = document["alerts"] else { return document }
            return document.setting([.key("alerts")], to: .array(rng.chance(0.5) ? alerts + alerts : []))
        }
    }

    struct ExpectedAlert: Equatable {
        var status: String
        var labels: [String: String]
        var startsAt: String
        var fingerprint: String
    }

    /// Whether JSON's number `literal` reads as an `Int`: written as one, or a double that is a whole number in
    /// range (`2e-400` underflows to 0).
    static func isInteger(_ literal: String) -> Bool {
        if Int(literal) != nil { return true }
        guard let value = Double(literal), value.isFinite else { return false }
        return value.rounded() == value && abs(value) < 9.2e18
    }

    /// The alerts a correct decoder returns for `document`, or nil when it must reject it.
    static func expectedAlerts(_ document: JSONValue) -> [ExpectedAlert]? {
        guard case .object = document, document["version"] == .string("4") else { return nil }
        guard case .string(let status) = document["status"], ["firing", "resolved"].contains(status) else { return nil }
        for key in ["receiver", "groupKey"] {
            switch document[key] {
            case nil, .null?, .string?: continue
            default: return nil
            }
        }
        switch document["truncatedAlerts"] {
        case nil, .null?: break
        case .number(let literal)?: guard isInteger(literal) else { return nil }
        default: return nil
        }
        guard case .array(let alerts) = document["alerts"] else { return nil }
        var expected: [ExpectedAlert] = []
        for alert in alerts {
            guard case .object = alert,
                case .string(let status) = alert["status"], ["firing", "resolved"].contains(status),
                case .object(let labelFields) = alert["labels"],
                case .string(let startsAt) = alert["startsAt"], validTimestamps.contains(startsAt),
                case .string(let fingerprint) = alert["fingerprint"], !fingerprint.isEmpty
            else { return nil }
            var labels: [String: String] = [:]
            for field in labelFields {
                guard case .string(let value) = field.value else { return nil }
                labels[field.key] = value
            }
            expected.append(ExpectedAlert(status: status, labels: labels, startsAt: startsAt, fingerprint: fingerprint))
        }
        return expected
    }
}
