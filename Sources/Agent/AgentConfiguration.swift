import KVMCore
import Remediation
import WebSecurity

/// Everything the agent is started with; the CLI fills it from flags, tests build it directly.
public struct AgentConfiguration: Sendable {
    /// The remediation policy; nil leaves the action API off.
    public var policy: Policy?
    /// `--web.config.file`: TLS, client certificates and basic auth for every endpoint; nil serves plain HTTP.
    public var web: WebConfiguration?
    /// Names this host answers to besides its hostname and FQDN, which are found at start.
    public var extraHostNames: [String] = []
    /// Where the HTTP server listens: each `--web.listen-address`, or the sockets systemd passed in. An agent
    /// run by HummingbirdTesting listens where the test framework says instead.
    public var listeners: [HTTPListeners.Source]
    public var telemetryPath: String
    public var libvirtURI: String
    public var collector: CollectorSettings
    /// The HTTP server's timeouts and connection caps (`--web.read-header-timeout` and the like).
    public var connections = ConnectionLimits()
    /// `--web.max-requests`: concurrent requests to the metrics endpoint; more get 503. 0 is no limit.
    public var maxRequests = 40
    /// False with `--web.disable-exporter-metrics`: /metrics without the agent's own `kvm_agent_*` and
    /// `process_*` families.
    public var exporterMetrics = true
    /// The files behind `policy` and `web`, re-read on SIGHUP when `reloadsOnHangup` is set.
    public var policyFile: String?
    public var webConfigFile: String?
    /// Re-read the configuration files on SIGHUP. Only the CLI sets it: signal handling is process-wide.
    public var reloadsOnHangup = false
    /// With `reloadsOnHangup`: how often those files (and the TLS files the web configuration names) are looked
    /// at, to be re-read when one changed (`--config.auto-reload-interval`); nil: on SIGHUP only.
    public var autoReloadInterval: Duration?
    /// Talk to systemd (`READY=1`, `STATUS=`, the watchdog) where `NOTIFY_SOCKET` says it runs the agent. Only
    /// the CLI sets it: an agent built in-process by a test must not answer to a socket another test has put
    /// in the process's environment.
    public var notifiesSystemd = false
    /// Give back the binary's and libraries' pages touched only while starting, once the collector has made
    /// two passes (`--[no-]runtime.release-startup-pages`; see `StartupPages`). Only the CLI sets it: it acts
    /// on the whole process.
    public var releasesStartupPages = false
    public var version: String

    public struct CollectorSettings: Sendable {
        public var interval: Duration
        public var timeout: Duration
        public var concurrency: Int
        /// Threads that run blocking libvirt calls; it bounds how many calls can be stuck at once.
        public var libvirtThreads: Int
        /// The collectors switched on (`--[no-]collector.NAME`); `vm` is off unless asked for.
        public var collectors = CollectorGroup.defaults
        /// `--collector.balloon-period`: the balloon statistics period given to running domains with none.
        public var balloonPeriod: Duration?
        /// Time between guest agent rounds (`--collector.guest-agent.interval`), when the `guest-agent`
        /// collector is on.
        public var guestAgentInterval: Duration = .seconds(30)
        /// How often each running domain's vcpuinfo is read again (`--collector.vcpuinfo.interval`).
        public var vcpuinfoInterval: Duration = .seconds(60)
        /// How often each running domain's balloon group is read again (`--collector.balloon.interval`).
        public var balloonInterval: Duration = .seconds(30)

        public init(interval: Duration, timeout: Duration, concurrency: Int = 2, libvirtThreads: Int = 8) {
            self.interval = interval
            self.timeout = timeout
            self.concurrency = concurrency
            self.libvirtThreads = libvirtThreads
        }
    }

    public init(
        listenHost: String? = nil, listenPort: Int = 9760, telemetryPath: String = "/metrics",
        libvirtURI: String = "qemu:///system",
        collector: CollectorSettings = .init(interval: .seconds(15), timeout: .seconds(5)),
        version: String = AgentVersion.current
    ) {
        self.listeners = [.address(ListenAddress(host: listenHost, port: listenPort))]
        self.telemetryPath = telemetryPath
        self.libvirtURI = libvirtURI
        self.collector = collector
        self.version = version
    }
}

public enum AgentVersion {
    public static let current = "0.1.0"
}
