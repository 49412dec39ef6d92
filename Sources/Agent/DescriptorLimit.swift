import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The process's open-file limit, sized against the HTTP connection cap. Go raises the soft limit to the hard
/// one when a program starts (since Go 1.19); Swift does not, and at the usual soft limit of 1,024 a cap of 512
/// connections plus libvirt's sockets, the journal and the state files leaves little room: past the limit,
/// accept fails and clients wait in the backlog instead of being turned away by the cap.
public enum DescriptorLimit {
    /// Descriptors kept for everything but HTTP clients: libvirt's two connections and event pipes, the
    /// journal, the state and audit files, the listener, NIO's event loops and the thread pool's wakeups.
    public static let reserved = 64

    public struct Outcome: Sendable, Equatable {
        /// The soft limit before, and after raising it to the hard one.
        public var before: UInt64
        public var after: UInt64
        /// True when `after` leaves `maxConnections` plus `reserved` descriptors.
        public var sufficient: Bool
    }

    /// Raises the soft limit to the hard limit and says whether it covers `maxConnections`.
    public static func raise(toCover maxConnections: Int) -> Outcome? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let after = UInt64(limit.rlim_cur)
        let needed = UInt64(max(0, maxConnections)) + UInt64(reserved)
        return Outcome(before: before, after: after, sufficient: after >= needed)
    }

    /// Raises the limit and logs what an operator should know: a raise at debug level, a limit too low for the
    /// cap as a warning that names both numbers and what to change.
    public static func raise(toCover maxConnections: Int, logger: Logger) {
        guard let outcome = raise(toCover: maxConnections) else {
            logger.warning("cannot read the open-file limit (getrlimit RLIMIT_NOFILE)")
            return
        }
        if outcome.after != outcome.before {
            logger.debug(
                "open-file limit raised to the hard limit",
                metadata: ["from": "\(outcome.before)", "to": "\(outcome.after)"])
        }
        if !outcome.sufficient {
            logger.warning(
                "open-file limit too low for --web.max-connections: past it, accept fails and clients wait",
                metadata: [
                    "limit": "\(outcome.after)", "max_connections": "\(maxConnections)",
                    "needed": "\(maxConnections + reserved)",
                    "fix": "raise LimitNOFILE (ulimit -n) or lower --web.max-connections",
                ])
        }
    }
}
