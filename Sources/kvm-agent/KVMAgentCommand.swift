import Agent
import ArgumentParser
import Foundation
import Hummingbird
import KVMCore
import Logging
import NIOCore
import Remediation
import Systemd
import WebSecurity

struct KVMAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvm-agent",
        abstract: "Monitoring agent for a KVM host: libvirt domains, vCPUs and host capability as Prometheus metrics.",
        version: AgentVersion.current,
        subcommands: [CheckConfigCommand.self])

    @Option(
        name: .customLong("config.file"),
        help: "Remediation policy (YAML). Without it the action API is off; check it with `kvm-agent check-config`.")
    var configFile: String?

    @Option(
        name: .customLong("config.auto-reload-interval"),
        help: ArgumentHelp(
            "How often the policy, tokens, web configuration and TLS files are looked at; one that changed is "
                + "re-read as on SIGHUP. 0s: on SIGHUP only."))
    var autoReloadInterval = "5s"

    @Option(
        name: .customLong("web.config.file"),
        help: "TLS, client-certificate and basic-auth settings in the exporter-toolkit format.")
    var webConfigFile: String?

    @Option(
        name: .customLong("web.listen-address"),
        help: ArgumentHelp(
            "Address to listen on, host:port; :port is every interface, IPv4 and IPv6. Repeat the flag to listen "
                + "on several."))
    var listenAddress = [":9760"]

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath = "/metrics"

    @Option(
        name: .customLong("web.read-header-timeout"),
        help: "Time a client has to send a request head, from connecting or from its first byte after a response.")
    var readHeaderTimeout = "10s"

    @Option(name: .customLong("web.idle-timeout"), help: "Time after which an idle keep-alive connection is closed.")
    var idleTimeout = "60s"

    @Option(
        name: .customLong("web.max-connections"),
        help: "Open HTTP connections in total; more are closed on accept. Keep below the unit's LimitNOFILE.")
    var maxConnections = ConnectionLimits().maxConnections

    @Option(
        name: .customLong("web.max-connections-per-client"),
        help: "Open HTTP connections from one client address; more are closed on accept.")
    var maxConnectionsPerClient = ConnectionLimits().maxConnectionsPerClient

    @Flag(
        name: .customLong("web.systemd-socket"),
        help: ArgumentHelp(
            "Serve on the listening sockets systemd passes (socket activation, kvm-agent.socket) instead of "
                + "--web.listen-address."))
    var systemdSocket = false

    @Option(
        name: .customLong("web.max-requests"),
        help: "Concurrent requests to the metrics endpoint; more are answered 503 at once. 0 means no limit.")
    var maxRequests = 40

    @Flag(
        name: .customLong("web.disable-exporter-metrics"),
        help: "Leave the agent's own kvm_agent_* and process_* families out of the metrics endpoint.")
    var disableExporterMetrics = false

    @Option(name: .customLong("libvirt.uri"), help: "libvirt connection URI (test:///path/host.xml for a demo host).")
    var libvirtURI = "qemu:///system"

    @Option(name: .customLong("collector.interval"), help: "Time between collector loop passes (e.g. 15s).")
    var interval = "15s"

    @Option(name: .customLong("collector.timeout"), help: "Deadline of each libvirt call (e.g. 5s).")
    var timeout = "5s"

    @OptionGroup(title: "Collectors")
    var collectors: CollectorFlags

    @Option(
        name: .customLong("collector.balloon-period"),
        help: ArgumentHelp(
            "Give running domains whose balloon has no statistics period this one (whole seconds, e.g. 10s), "
                + "so that the guest's memory figures move; changes the running guests, not their definitions. "
                + "Off unless given."))
    var balloonPeriod: String?

    @Option(
        name: .customLong("collector.guest-agent.interval"),
        help: "Time between guest agent rounds (e.g. 30s); each round reaches into every guest with an agent.")
    var guestAgentInterval = "30s"

    @Option(
        name: .customLong("collector.vcpuinfo.interval"),
        help: ArgumentHelp(
            "Time between reads of each running domain's vcpuinfo (physical CPU and affinity; e.g. 60s). "
                + "It is also read when a domain starts and when a vCPU is pinned; vCPU state and time come "
                + "every pass."))
    var vcpuinfoInterval = "60s"

    @Option(
        name: .customLong("collector.balloon.interval"),
        help: ArgumentHelp(
            "Time between reads of each running domain's balloon group (resident memory; e.g. 30s) when its "
                + "guest reports no memory figures. Also read when a domain starts and after a balloon change, "
                + "which sets the domain's memory at once; 0s reads it every pass."))
    var balloonInterval = "30s"

    @Flag(
        name: .customLong("runtime.release-startup-pages"), inversion: .prefixedNo,
        help: ArgumentHelp(
            "After the collector's second pass, give back the pages of code and constant data the agent touched "
                + "only while starting; what it runs later comes back from the page cache. On by default."))
    var releaseStartupPages = true

    @Option(name: .customLong("log.level"), help: "debug, info, warning or error.")
    var logLevel = "info"

    @Option(
        name: .customLong("log.format"),
        help: "logfmt, json or journal; default journal when stderr is the systemd journal, else logfmt.")
    var logFormat: String?

    func validate() throws {
        _ = try parsed()
    }

    /// Turns every flag into its typed value, naming the flag in the error.
    /// Where log records go: lines on stderr, or the journal with structured fields.
    enum LogFormat {
        case line(LineLogHandler.Format)
        case journal
    }

    func parsed() throws -> (AgentConfiguration, Logger.Level, LogFormat) {
        func flag<T>(_ name: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch { throw ValidationError("--\(name): \(error)") }
        }
        let addresses = try listenAddress.map { text in
            try flag("web.listen-address \(text)") { try ListenAddress.parse(text) }
        }
        let interval = try flag("collector.interval") { try FlagValues.duration(self.interval) }
        let timeout = try flag("collector.timeout") { try FlagValues.duration(self.timeout) }
        guard telemetryPath.hasPrefix("/"), telemetryPath.count > 1 else {
            throw ValidationError("--web.telemetry-path: \"\(telemetryPath)\" must start with / and name a path")
        }
        guard let level = Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) else {
            throw ValidationError("--log.level: \"\(logLevel)\" is not one of debug, info, warning, error")
        }
        let format: LogFormat
        switch logFormat ?? (JournalLogHandler.isJournalStream() ? "journal" : "logfmt") {
        case "journal": format = .journal
        case let name:
            guard let line = LineLogHandler.Format(rawValue: name) else {
                throw ValidationError("--log.format: \"\(name)\" is not one of logfmt, json, journal")
            }
            format = .line(line)
        }
        var configuration = AgentConfiguration(
            telemetryPath: telemetryPath, libvirtURI: libvirtURI, collector: .init(interval: interval, timeout: timeout)
        )
        configuration.listeners = addresses.map { .address($0) }
        configuration.notifiesSystemd = true
        configuration.releasesStartupPages = releaseStartupPages
        configuration.collector.collectors = collectors.enabled
        if let balloonPeriod {
            configuration.collector.balloonPeriod = try flag("collector.balloon-period") {
                try Self.wholeSeconds(balloonPeriod)
            }
        }
        configuration.collector.guestAgentInterval = try flag("collector.guest-agent.interval") {
            try FlagValues.duration(self.guestAgentInterval)
        }
        configuration.collector.vcpuinfoInterval = try flag("collector.vcpuinfo.interval") {
            try FlagValues.durationOrZero(self.vcpuinfoInterval)
        }
        configuration.collector.balloonInterval = try flag("collector.balloon.interval") {
            try FlagValues.durationOrZero(self.balloonInterval)
        }
        configuration.connections = ConnectionLimits(
            readHeaderTimeout: try flag("web.read-header-timeout") { try Self.connectionTimeout(readHeaderTimeout) },
            idleTimeout: try flag("web.idle-timeout") { try Self.connectionTimeout(idleTimeout) },
            maxConnections: try flag("web.max-connections") { try Self.positive(maxConnections) },
            maxConnectionsPerClient: try flag("web.max-connections-per-client") {
                try Self.positive(maxConnectionsPerClient)
            })
        configuration.maxRequests = try flag("web.max-requests") {
            guard maxRequests >= 0 else { throw OutOfRange(description: "\(maxRequests) must be 0 or more") }
            return maxRequests
        }
        configuration.exporterMetrics = !disableExporterMetrics
        configuration.reloadsOnHangup = true
        configuration.autoReloadInterval = try flag("config.auto-reload-interval") {
            // 0s switches the watching off.
            let interval = try FlagValues.durationOrZero(autoReloadInterval)
            if interval == .zero { return nil }
            guard interval >= .milliseconds(100), interval <= .seconds(86_400) else {
                throw OutOfRange(description: "\"\(autoReloadInterval)\" must be 0s or from 100ms to 24h")
            }
            return interval
        }
        configuration.webConfigFile = webConfigFile
        configuration.policyFile = configFile
        if let webConfigFile {
            configuration.web = try flag("web.config.file") { try WebConfiguration.load(path: webConfigFile) }
        }
        if let configFile {
            configuration.policy = try flag("config.file") { try Policy.load(path: configFile) }
        }
        return (configuration, level, format)
    }

    struct OutOfRange: Error, CustomStringConvertible {
        let description: String
    }

    /// A count flag's value, which must be at least 1.
    static func positive(_ value: Int) throws -> Int {
        guard value >= 1 else { throw OutOfRange(description: "\(value) must be at least 1") }
        return value
    }

    /// A period libvirt takes in whole seconds, from 1 s to a day.
    static func wholeSeconds(_ text: String) throws -> Duration {
        let value = try FlagValues.duration(text, in: .seconds(1)...(.seconds(86_400)))
        guard value.components.attoseconds == 0 else {
            throw OutOfRange(description: "\"\(text)\" must be whole seconds")
        }
        return value
    }

    /// A connection timeout, at most a day: a longer one would disable it in effect.
    static func connectionTimeout(_ text: String) throws -> Duration {
        try FlagValues.duration(text, in: .milliseconds(1)...(.seconds(86_400)))
    }

    func run() async throws {
        // SIGHUP reloads the configuration files (ConfigReloader); until that service runs, one is ignored
        // rather than ending the process, which is SIGHUP's default.
        signal(SIGHUP, SIG_IGN)
        let (parsedConfiguration, level, format) = try parsed()
        var configuration = parsedConfiguration
        LoggingSystem.bootstrap { label in
            switch format {
            case .journal: JournalLogHandler(label: label, level: level)
            case .line(let line): LineLogHandler(label: label, format: line, level: level)
            }
        }
        let logger = Logger(label: "kvm-agent")
        let demo = configuration.libvirtURI.hasPrefix("test:")
        logger.info(
            "starting kvm-agent",
            metadata: [
                "version": "\(configuration.version)",
                "listen": "\(systemdSocket ? "systemd sockets" : listenAddress.joined(separator: ","))",
                "libvirt_uri": "\(configuration.libvirtURI)",
                "host": "\(demo ? "demo host (libvirt test driver)" : "real libvirt daemon")",
            ])
        if systemdSocket {
            // Taken here, once: taking them clears LISTEN_FDS, and validate() parses the flags too.
            do {
                configuration.listeners = try SocketActivation.takeListeningSockets().map {
                    .descriptor($0.descriptor, name: $0.name)
                }
            } catch {
                logger.error("--web.systemd-socket: \(error)")
                throw ExitCode(2)
            }
        }
        DescriptorLimit.raise(toCover: configuration.connections.maxConnections, logger: logger)
        let app = try build(configuration, logger: logger)
        do {
            try await app.runService()
        } catch let error as ListenerError {
            logger.error("--web.listen-address: \(error)")
            throw ExitCode(2)
        }
    }

    /// A policy, state or tokens file that cannot be used stops the agent with the reason.
    private func build(_ configuration: AgentConfiguration, logger: Logger) throws -> some ApplicationProtocol {
        do {
            return try Agent.buildApplication(configuration, logger: logger)
        } catch {
            logger.error("cannot start: \(error)")
            throw ExitCode(1)
        }
    }
}
