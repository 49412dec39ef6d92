/// A state file that parses but holds a value the agent cannot use, named by its field
/// (`nextActionNumber`, `pending.17.id`, `domains.<uuid>.actionTimes[2]`).
public struct StateFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var field: String
    public var message: String

    public var description: String { "\(path): \(field): \(message)" }
}

extension SafetyState {
    /// The only layout this agent writes. A newer one may mean things this agent would get wrong.
    static let knownVersion = 1
    /// Counters read from the file stay this far below Int64.max, so counting on from them can never overflow, and
    /// they stay exact as JSON numbers in any reader.
    static let counterLimit = 1 << 53
    /// Epoch seconds up to the end of year 9999: finite, and far enough from Double's limits that adding a window or
    /// a quarantine to one stays finite and ordered.
    static let times: ClosedRange<Double> = 0...253_402_300_799
    /// A pending action's shutdown timeout, seconds: from the policy (at most a day) or a manual request.
    static let shutdownTimeouts: ClosedRange<Double> = 0...(366 * 86_400)

    /// Checks what JSON decoding cannot: the version, the ranges of numbers and that ids are ones this agent issued.
    /// The first problem found is thrown, naming its field.
    func validate() throws(SafetyStateProblem) {
        guard version == Self.knownVersion else {
            throw SafetyStateProblem(
                "version", "\(version) is not a state file version this agent knows (\(Self.knownVersion))")
        }
        guard (1...Self.counterLimit).contains(nextActionNumber) else {
            throw SafetyStateProblem("nextActionNumber", "\(nextActionNumber) is outside 1...\(Self.counterLimit)")
        }
        for (uuid, history) in domains.sorted(by: { $0.key < $1.key }) {
            let field = "domains.\(uuid)"
            for (index, time) in history.actionTimes.enumerated() {
                try Self.check(time: time, "\(field).actionTimes[\(index)]")
            }
            if let time = history.quarantinedAt { try Self.check(time: time, "\(field).quarantinedAt") }
            if let time = history.quarantineUntil { try Self.check(time: time, "\(field).quarantineUntil") }
            if let time = history.lastRestartAt { try Self.check(time: time, "\(field).lastRestartAt") }
            if let time = history.budgetSpentAt { try Self.check(time: time, "\(field).budgetSpentAt") }
            if let restarts = history.restarts, !(0...Self.counterLimit).contains(restarts) {
                throw SafetyStateProblem("\(field).restarts", "\(restarts) is outside 0...\(Self.counterLimit)")
            }
        }
        for (key, time) in seen.sorted(by: { $0.key < $1.key }) { try Self.check(time: time, "seen.\(key)") }
        for (uuid, window) in (maintenance ?? [:]).sorted(by: { $0.key < $1.key }) {
            try Self.check(window, "maintenance.\(uuid)")
        }
        if let window = hostMaintenance { try Self.check(window, "hostMaintenance") }
        for (key, plan) in pending.sorted(by: { $0.key < $1.key }) {
            let field = "pending.\(key)"
            guard plan.id == key else { throw SafetyStateProblem("\(field).id", "\"\(plan.id)\" differs from its key") }
            // Ids are the decimal numbers `nextActionNumber` handed out; anything else was not written by the agent,
            // and an id at or above the counter would be handed out again.
            guard plan.id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let number = Int(plan.id), (1..<nextActionNumber).contains(number)
            else {
                throw SafetyStateProblem(
                    "\(field).id", "\"\(plan.id)\" is not an action number from 1 to below nextActionNumber")
            }
            guard Self.shutdownTimeouts.contains(plan.shutdownTimeoutSeconds) else {
                throw SafetyStateProblem(
                    "\(field).shutdownTimeoutSeconds",
                    "\(plan.shutdownTimeoutSeconds) is outside \(Self.shutdownTimeouts.lowerBound)..."
                        + "\(Self.shutdownTimeouts.upperBound)")
            }
        }
    }

    /// Times in range and in order, and names and reasons no longer than the API lets them be.
    private static func check(_ window: MaintenanceWindow, _ field: String) throws(SafetyStateProblem) {
        try check(time: window.since, "\(field).since")
        try check(time: window.until, "\(field).until")
        guard window.since <= window.until else {
            throw SafetyStateProblem("\(field).until", "\(window.until) is before since (\(window.since))")
        }
        for (name, text) in [("reason", window.reason), ("setBy", window.setBy), ("name", window.name)]
        where text.count > 1024 {
            throw SafetyStateProblem("\(field).\(name)", "longer than 1024 characters")
        }
    }

    /// NaN is outside every range, so this also refuses it.
    private static func check(time: Double, _ field: String) throws(SafetyStateProblem) {
        guard times.contains(time) else {
            throw SafetyStateProblem(field, "\(time) is not a time from \(times.lowerBound) to \(times.upperBound)")
        }
    }
}

/// What ``SafetyState/validate()`` found, before ``StateFile`` adds the file's path.
struct SafetyStateProblem: Error {
    var field: String
    var message: String

    init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
