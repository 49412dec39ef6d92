/// A domain's run state, with libvirt's numbering (`virDomainState`).
public enum DomainState: Int, Sendable, CaseIterable {
    case nostate = 0
    case running = 1
    case blocked = 2
    case paused = 3
    case shutdown = 4
    case shutoff = 5
    case crashed = 6
    case pmsuspended = 7

    // Spelled out: these are label values, and `String(describing:)` reflects on the value at every call
    // (about 7,000 instructions by callgrind; a fifth of a render at 100 domains went to it).
    public var name: String {
        switch self {
        case .nostate: "nostate"
        case .running: "running"
        case .blocked: "blocked"
        case .paused: "paused"
        case .shutdown: "shutdown"
        case .shutoff: "shutoff"
        case .crashed: "crashed"
        case .pmsuspended: "pmsuspended"
        }
    }

    public init(code: Int) {
        self = DomainState(rawValue: code) ?? .nostate
    }

    /// Whether a qemu process exists for the domain, so per-domain counters can be asked for.
    public var isActive: Bool {
        switch self {
        case .running, .blocked, .paused, .shutdown, .pmsuspended: true
        case .nostate, .shutoff, .crashed: false
        }
    }

    /// Reason names per state, indexed by libvirt's reason code (`virDomain<State>Reason`).
    private static let reasons: [DomainState: [String]] = [
        .nostate: ["unknown"],
        .running: [
            "unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused", "migration_canceled",
            "save_canceled", "wakeup", "crashed", "postcopy", "postcopy_failed",
        ],
        .blocked: ["unknown"],
        .paused: [
            "unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from_snapshot",
            "shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed", "api_error",
        ],
        .shutdown: ["unknown", "user"],
        .shutoff: [
            "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from_snapshot", "daemon",
        ],
        .crashed: ["unknown", "panicked"],
        .pmsuspended: ["unknown"],
    ]

    public func reasonName(code: Int) -> String {
        guard let names = Self.reasons[self], names.indices.contains(code) else { return "unknown" }
        return names[code]
    }
}
