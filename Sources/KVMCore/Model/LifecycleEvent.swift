/// A lifecycle event as libvirt delivers it (`virDomainEventType` and its detail enum).
public struct LifecycleEvent: Sendable, Equatable {
    public enum Kind: Int, Sendable, CaseIterable {
        case defined = 0
        case undefined = 1
        case started = 2
        case suspended = 3
        case resumed = 4
        case stopped = 5
        case shutdown = 6
        case pmsuspended = 7
        case crashed = 8

        /// Spelled out for the reason `DomainState.name` gives.
        public var name: String {
            switch self {
            case .defined: "defined"
            case .undefined: "undefined"
            case .started: "started"
            case .suspended: "suspended"
            case .resumed: "resumed"
            case .stopped: "stopped"
            case .shutdown: "shutdown"
            case .pmsuspended: "pmsuspended"
            case .crashed: "crashed"
            }
        }
    }

    public var domain: DomainRef
    public var kind: Kind?
    public var kindCode: Int
    public var detailCode: Int
    /// Seconds since the epoch when the callback ran.
    public var time: Double

    public init(domain: DomainRef, kindCode: Int, detailCode: Int, time: Double) {
        self.domain = domain
        self.kind = Kind(rawValue: kindCode)
        self.kindCode = kindCode
        self.detailCode = detailCode
        self.time = time
    }

    public var eventName: String { kind?.name ?? "unknown" }

    public var detailName: String {
        guard let kind, let names = Self.details[kind], names.indices.contains(detailCode) else { return "unknown" }
        return names[detailCode]
    }

    /// The state the domain is in once this event has happened, where the event says so.
    public var resultingState: DomainState? {
        switch kind {
        case .started, .resumed: .running
        case .suspended: .paused
        case .stopped: .shutoff
        case .shutdown: detailName == "finished" ? nil : .shutdown
        case .pmsuspended: .pmsuspended
        case .crashed: .crashed
        case .defined, .undefined, nil: nil
        }
    }

    /// The state reason that matches this event's detail, in `DomainState.reasonName` terms.
    public var resultingReason: String {
        switch (kind, detailName) {
        case (.started, "recreated"): "booted"
        case (.suspended, "paused"): "user"
        case (.suspended, "migrated"): "migration"
        case (.shutdown, _): "user"
        case (.pmsuspended, _), (.crashed, "crashloaded"): "unknown"
        default: detailName
        }
    }

    private static let details: [Kind: [String]] = [
        .defined: ["added", "updated", "renamed", "from_snapshot"],
        .undefined: ["removed", "renamed"],
        .started: ["booted", "migrated", "restored", "from_snapshot", "wakeup", "recreated"],
        .suspended: [
            "paused", "migrated", "ioerror", "watchdog", "restored", "from_snapshot", "api_error", "postcopy",
            "postcopy_failed",
        ],
        .resumed: ["unpaused", "migrated", "from_snapshot", "postcopy", "postcopy_failed"],
        .stopped: ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from_snapshot"],
        .shutdown: ["finished", "guest", "host"],
        .pmsuspended: ["memory", "disk"],
        .crashed: ["panicked", "crashloaded"],
    ]
}

/// How a domain is named: libvirt's UUID is the identity, the name is what people read.
public struct DomainRef: Sendable, Hashable {
    public var uuid: String
    public var name: String

    public init(uuid: String, name: String) {
        self.uuid = uuid.lowercased()
        self.name = name
    }
}
