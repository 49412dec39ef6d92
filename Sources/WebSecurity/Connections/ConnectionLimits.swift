/// How long a client may take to send a request and how many connections it may hold: the
/// `--web.read-header-timeout`, `--web.idle-timeout`, `--web.max-connections` and
/// `--web.max-connections-per-client` flags.
public struct ConnectionLimits: Sendable, Equatable {
    /// From accept, or from the first byte after the previous response, to a complete request head.
    public var readHeaderTimeout: Duration
    /// A keep-alive connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// Open connections from all clients; connections beyond it are closed as soon as they are accepted.
    public var maxConnections: Int
    /// Open connections from one client address.
    public var maxConnectionsPerClient: Int

    /// The defaults. deploy/kvm-agent.service's LimitNOFILE is sized from `maxConnections` (a test keeps the
    /// two in step).
    public init(
        readHeaderTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), maxConnections: Int = 512,
        maxConnectionsPerClient: Int = 64
    ) {
        self.readHeaderTimeout = readHeaderTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }
}
