/// An operator's "hands off", for one domain or the whole host, until a time: who set it and why. Kept in
/// the state file, so it survives restarts of the agent; it ends by itself at `until`, or through the API.
public struct MaintenanceWindow: Codable, Sendable, Equatable {
    /// The domain's name when set (empty for the whole host).
    public var name: String
    public var setBy: String
    public var reason: String
    public var since: Double
    public var until: Double

    public init(name: String, setBy: String, reason: String, since: Double, until: Double) {
        self.name = name
        self.setBy = setBy
        self.reason = reason
        self.since = since
        self.until = until
    }

    /// The longest maintenance the API sets: a forgotten one must end by itself.
    public static let longest = 30 * 86_400.0
    /// The longest reason kept, in characters; longer ones are refused.
    public static let reasonLimit = 200
}

extension SafetyState {
    /// The domain's maintenance while it lasts.
    public func maintenance(_ uuid: String, now: Double) -> MaintenanceWindow? {
        maintenance?[uuid].flatMap { now < $0.until ? $0 : nil }
    }

    /// The whole host's maintenance while it lasts.
    public func hostMaintenance(now: Double) -> MaintenanceWindow? {
        hostMaintenance.flatMap { now < $0.until ? $0 : nil }
    }

    /// Domains in maintenance now, by UUID.
    public func domainsInMaintenance(now: Double) -> [String: MaintenanceWindow] {
        (maintenance ?? [:]).filter { now < $0.value.until }
    }

    mutating func setMaintenance(_ uuid: String, _ window: MaintenanceWindow) {
        var windows = maintenance ?? [:]
        windows[uuid] = window
        maintenance = windows
    }

    /// False when the domain was not in maintenance.
    mutating func endMaintenance(_ uuid: String, now: Double) -> Bool {
        defer { if maintenance?.isEmpty == true { maintenance = nil } }
        guard maintenance(uuid, now: now) != nil else {
            maintenance?[uuid] = nil
            return false
        }
        maintenance?[uuid] = nil
        return true
    }

    mutating func endHostMaintenance(now: Double) -> Bool {
        defer { hostMaintenance = nil }
        return hostMaintenance(now: now) != nil
    }

    /// Forgets windows that have ended.
    mutating func expireMaintenance(now: Double) {
        maintenance = maintenance?.filter { now < $0.value.until }
        if maintenance?.isEmpty == true { maintenance = nil }
        if let host = hostMaintenance, host.until <= now { hostMaintenance = nil }
    }
}
