/// Why the last attempt to connect to libvirt failed, sorted into what the operator can do about it.
public struct ConnectionFailure: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// libvirt answered and refused the agent's user (polkit, the socket's permissions, an ACL): access
        /// must be granted, retrying alone will not help.
        case permissionDenied
        /// Anything else: the daemon is down, its socket missing, the attempt timed out.
        case unreachable

        /// The label value both metrics use: the `state` of `kvm_agent_libvirt_connection_state` and the
        /// `reason` of `kvm_agent_libvirt_connect_failures_total`.
        public var name: String {
            switch self {
            case .permissionDenied: "permission_denied"
            case .unreachable: "unreachable"
            }
        }
    }

    public var kind: Kind
    /// What libvirt said (its message, without the agent's wrapping).
    public var reason: String
    /// The user the agent runs as, the one libvirt refused.
    public var user: String

    public init(kind: Kind, reason: String, user: String) {
        self.kind = kind
        self.reason = reason
        self.user = user
    }

    /// What to do when libvirt refuses the agent, in one line: the log, /readyz and the status page all give
    /// this same advice (the status line, too short for it, points to the journal).
    public var advice: String {
        "libvirt refuses user \(user): the polkit rule /usr/share/polkit-1/rules.d/60-kvm-agent.rules from the "
            + "kvm-agent package grants user kvm-agent access (action org.libvirt.unix.manage; needs polkitd "
            + "running); where libvirtd checks the socket's group instead of polkit (auth_unix_rw = \"none\"), "
            + "run `adduser \(user) libvirt` and restart the agent"
    }
}

/// Where the agent stands with libvirt, as the status line, /readyz, the status page and
/// `kvm_agent_libvirt_connection_state` tell it; derived from the inventory so that all four agree.
public enum LibvirtConnectionState: Sendable, Equatable {
    /// Nothing tried yet, or the first attempt is under way.
    case connecting
    case permissionDenied(ConnectionFailure)
    case unreachable(ConnectionFailure)
    /// Connected, but no collector pass has finished since: the domain list may still be the old one.
    case collecting
    /// Connected and collected: the figures are true.
    case connected(running: Int, total: Int)

    /// The `state` label of `kvm_agent_libvirt_connection_state`.
    public var name: String {
        switch self {
        case .connecting: "connecting"
        case .permissionDenied(let failure), .unreachable(let failure): failure.kind.name
        case .collecting: "collecting"
        case .connected: "connected"
        }
    }

    /// Every `name`, in the order the metric lists them.
    public static let names = ["connecting", "permission_denied", "unreachable", "collecting", "connected"]

    /// `systemctl status`'s line. Short, since systemd cuts long ones; the reason and the advice are in the
    /// journal and on /readyz.
    public func statusLine(uri: String) -> String {
        switch self {
        case .connecting: "\(uri): connecting to libvirt"
        case .permissionDenied: "\(uri): libvirt refuses access (permission), retrying: see the journal"
        case .unreachable: "\(uri): libvirt unreachable, retrying"
        case .collecting: "\(uri): connected, collecting"
        case .connected(let running, let total): "\(uri): connected, \(running) of \(total) domains running"
        }
    }

    /// Why the agent cannot serve true figures now, in one line; nil once it can.
    public var readinessProblem: String? {
        switch self {
        case .connecting: "libvirt: not connected yet, the first attempt is under way"
        case .permissionDenied(let failure): "libvirt refuses access (permission): \(failure.reason); \(failure.advice)"
        case .unreachable(let failure): "libvirt unreachable, retrying: \(failure.reason)"
        case .collecting: "libvirt connected, collecting: no collector pass has finished since connecting"
        case .connected: nil
        }
    }
}

extension Inventory {
    /// The connection's readiness problem, with the reason where the agent is connected and its listings
    /// fail; nil once it serves true figures.
    public var readinessProblem: String? {
        guard let problem = connectionState.readinessProblem else { return nil }
        guard connectionState == .collecting, let listingFailure else { return problem }
        return problem + "; the last domain listing failed: \(listingFailure)"
    }

    public var connectionState: LibvirtConnectionState {
        if libvirtUp {
            guard collectedSinceConnecting else { return .collecting }
            return .connected(running: domains.values.count(where: { $0.state == .running }), total: domains.count)
        }
        guard let failure = connectionFailure else { return .connecting }
        return failure.kind == .permissionDenied ? .permissionDenied(failure) : .unreachable(failure)
    }
}
