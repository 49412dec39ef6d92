import AgentHTTP
import Foundation
import HostProbe
import Hummingbird
import KVMCore
import Libvirt
import LibvirtHypervisor
import Logging
import NIOPosix
import Prometheus
import Remediation
import ServiceLifecycle
import Systemd
import WebSecurity

/// Composes the agent: libvirt supervision, the collector loop and the HTTP server, as services of one
/// Hummingbird application, so that tests can run the whole agent in-process without the CLI.
public enum Agent {
    /// Throws when the remediation policy's state file or tokens file cannot be read: the agent must not
    /// start with its safety state forgotten.
    public static func buildApplication(
        _ configuration: AgentConfiguration, logger: Logger, hostProbe: HostProbe = HostProbe()
    ) throws -> AgentApplication {
        let store = InventoryStore()
        let registry = PrometheusCollectorRegistry()
        let startupPages = configuration.releasesStartupPages ? StartupPageRelease(logger: logger) : nil
        let telemetry = AgentTelemetry(
            registry: registry, version: configuration.version, passFinished: { startupPages?.passFinished($0) })
        let web = configuration.web ?? WebConfiguration()
        let connectionMetrics = HTTPConnectionMetrics(registry: registry)
        let heap = HeapTrimmer()
        let connections = ConnectionGuard(
            limits: configuration.connections, rejected: { connectionMetrics.rejected($0) },
            headerTimedOut: { connectionMetrics.headerTimedOut() }, drained: { heap.trimSoon() })
        let webState = try WebSecurityState(web)
        let childChannel = try web.childChannelFactory(connections: connections, state: webState)
        let pool = NIOThreadPool(numberOfThreads: configuration.collector.libvirtThreads)
        let hypervisor = LibvirtHypervisor(pool: pool)
        let remediation = try configuration.policy.map { policy in
            try RemediationModule(
                policy: policy, configuration: configuration, hypervisor: hypervisor, store: store, registry: registry,
                logger: logger)
        }
        var collectorOptions = CollectorOptions(
            interval: configuration.collector.interval, timeout: configuration.collector.timeout,
            concurrency: configuration.collector.concurrency)
        collectorOptions.collectors = configuration.collector.collectors
        collectorOptions.balloonPeriod = configuration.collector.balloonPeriod
        collectorOptions.vcpuinfoInterval = configuration.collector.vcpuinfoInterval
        collectorOptions.balloonInterval = configuration.collector.balloonInterval
        let readsVCPUInfo = collectorOptions.collectors.contains(.vcpuinfo)
        let collector = Collector(
            hypervisor: hypervisor, store: store, options: collectorOptions,
            probeHost: { hostProbe.probe() }, telemetry: telemetry, logger: logger)
        let guestAgent =
            configuration.collector.collectors.contains(.guestAgent)
            ? GuestAgentCollector(
                collector: collector, source: hypervisor, interval: configuration.collector.guestAgentInterval) : nil
        let supervisor = ConnectionSupervisor(
            uri: configuration.libvirtURI, hypervisor: hypervisor, store: store,
            hooks: ConnectionSupervisor.Hooks(
                lifecycleEvent: { event in
                    // One journal record per event, with DOMAIN and EVENT fields (`journalctl -u kvm-agent
                    // DOMAIN=web01`): a crash is a warning, the rest is the host's ordinary life.
                    logger.log(
                        level: event.kind == .crashed ? .warning : .info, "domain lifecycle event",
                        metadata: [
                            "domain": "\(event.domain.name)", "event": "\(event.eventName)",
                            "detail": "\(event.detailName)",
                        ])
                    store.applyLifecycle(event)
                    remediation?.engine.observe(event)
                    telemetry.eventReceived(event)
                    collector.requestRefresh()
                },
                connected: { reconnect in
                    telemetry.connected(reconnect: reconnect)
                    collector.requestCollection()
                    guestAgent?.requestCollection()
                },
                disconnected: { _ in telemetry.disconnected() },
                connectFailed: { telemetry.connectFailed($0) },
                agentLifecycleEvent: { event in
                    store.applyAgentLifecycle(event)
                    if event.connected { guestAgent?.requestCollection() }
                },
                domainEvent: { event in
                    DomainEventLog.log(event, count: store.applyDomainEvent(event), to: logger)
                    if case .reboot = event.kind { remediation?.engine.observeReset(event.domain) }
                    // A job started or ended, or a vCPU was pinned: the quick pass reads the job's figures (or
                    // that it is gone) or the vcpuinfo now.
                    if event.concernsJob || (event.changesVCPUInfo && readsVCPUInfo) { collector.requestRefresh() }
                }
            ).followingStorage(
                store: store, collector: collector, collectors: configuration.collector.collectors, logger: logger),
            logger: logger)
        let processProbe = ProcessProbe()
        var routes = AgentRoutes(
            metrics: MetricsSource(
                store: store, registry: registry, process: { processProbe.sample() },
                beforeRender: {
                    remediation?.engine.publishStatus()
                    connectionMetrics.publish(open: connections.table.openConnections)
                }, exporterMetrics: configuration.exporterMetrics),
            store: store, telemetryPath: configuration.telemetryPath, version: configuration.version,
            recentActions: { remediation?.engine.recentActions(limit: 20) ?? [] },
            remediationProblem: { remediation?.engine.storageProblem() }, maxRequests: configuration.maxRequests)
        routes.remediationHolds = { remediation?.engine.holds() ?? [] }
        let router = Router()
        router.add(middleware: RequestCounting { telemetry.httpRequest(endpoint: $0, code: $1) })
        // Basic auth covers every endpoint, except action API requests that bring a bearer token: those are
        // checked against the tokens file instead (a request cannot carry both kinds of Authorization).
        router.add(
            middleware: WebSecurityMiddleware(
                state: webState,
                bypass: { request in
                    request.uri.path.hasPrefix("/api/")
                        && request.headers[.authorization]?.lowercased().hasPrefix("bearer ") == true
                }))
        routes.register(on: router)
        remediation?.routes.register(on: router)
        // Everything that calls libvirt (or sd-bus) through the pool runs inside the pool's service, which
        // stops them all before it stops the pool.
        var poolUsers: [any Service] = [supervisor.cancelOnShutdown(), CollectorService(collector: collector)]
        if let guestAgent { poolUsers.append(GuestAgentService(collector: guestAgent)) }
        if let remediation { poolUsers.append(EngineService(engine: remediation.engine)) }
        poolUsers.append(
            HostServicesProbe(store: store, pool: pool, interval: configuration.collector.interval, logger: logger))
        var services: [any Service] = [ThreadPoolService(pool: pool, users: poolUsers, logger: logger)]
        if configuration.reloadsOnHangup {
            services.append(
                Self.reloader(
                    configuration, webState: webState, remediation: remediation, registry: registry, logger: logger))
        }
        let listening = ReadinessSignal()
        if configuration.notifiesSystemd, let notifier = ServiceNotifier.fromEnvironment() {
            services.append(
                SystemdSupervision(
                    notifier: notifier, ready: { await listening.wait() },
                    status: { Self.statusLine(store.snapshot(), uri: configuration.libvirtURI) },
                    isHealthy: Self.health(configuration.collector, lastPass: { telemetry.lastCollectionEnd }),
                    logger: logger))
        }
        return AgentApplication(
            responder: router.buildResponder(), configuration: .init(serverName: "kvm-agent"), logger: logger,
            services: services, childChannel: childChannel, listeners: configuration.listeners,
            listening: { _ in listening.signal() })
    }

    static func reloader(
        _ configuration: AgentConfiguration, webState: WebSecurityState, remediation: RemediationModule?,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) -> ConfigReloader {
        let web = configuration.webConfigFile.map {
            ConfigReloader.Web(path: $0, state: webState, tlsFiles: CurrentValue(configuration.web?.tls?.files ?? []))
        }
        var files = web == nil ? [] : ["web"]
        var remediationFiles: ConfigReloader.RemediationFiles?
        if let path = configuration.policyFile, let remediation, let policy = configuration.policy {
            remediationFiles = ConfigReloader.RemediationFiles(
                policyPath: path, engine: remediation.engine, tokens: remediation.tokens,
                tokensPath: CurrentValue(policy.tokensFile))
            files += ["policy", "tokens"]
        }
        return ConfigReloader(
            web: web, remediation: remediationFiles,
            metrics: ReloadMetrics(registry: registry, files: files, now: Date().timeIntervalSince1970), logger: logger,
            autoReloadInterval: configuration.autoReloadInterval)
    }

    /// `systemctl status`'s line: the libvirt URI and where the agent stands with it (see
    /// `LibvirtConnectionState.statusLine`).
    static func statusLine(_ inventory: Inventory, uri: String) -> String {
        inventory.connectionState.statusLine(uri: uri)
    }

    /// Alive means libvirt's event loop turned lately and the collector finished a pass lately; otherwise the
    /// watchdog pings stop and systemd restarts the agent. Neither depends on libvirtd: the event loop turns on
    /// its own timer, and a pass while disconnected ends at once (result `disconnected`), so a stopped or
    /// refusing libvirtd never makes systemd restart the agent; only the agent's own loops stopping does.
    static func health(
        _ settings: AgentConfiguration.CollectorSettings, lastPass: @escaping @Sendable () -> Double?,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) -> @Sendable () -> Bool {
        let started = now()
        return {
            let eventLoopTurning = (LibvirtEventLoop.secondsSinceLastTurn ?? 0) < 30
            return eventLoopTurning && now() - (lastPass() ?? started) < healthBound(settings)
        }
    }

    /// How long the collector may go without finishing a pass: a pass is bounded by per-call deadlines, and
    /// three intervals plus two deadlines is well past a slow one.
    static func healthBound(_ settings: AgentConfiguration.CollectorSettings) -> Double {
        max(60, 3 * settings.interval.seconds + 2 * settings.timeout.seconds)
    }
}

/// The action module's parts, present when a policy is configured.
struct RemediationModule {
    let engine: RemediationEngine
    let routes: ActionRoutes
    /// The tokens file's tokens, replaced on SIGHUP.
    let tokens: CurrentValue<AccessTokens>

    init(
        policy: Policy, configuration: AgentConfiguration, hypervisor: LibvirtHypervisor, store: InventoryStore,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) throws {
        let tokens = CurrentValue(try AccessTokens.load(path: policy.tokensFile))
        self.tokens = tokens
        let identities = HostNames.discover().union(
            (policy.host.names + configuration.extraHostNames).map { $0.lowercased() })
        engine = try RemediationEngine(
            policy: policy, identities: identities, controller: LibvirtDomainController(hypervisor: hypervisor),
            inventory: { store.snapshot() }, telemetry: RemediationMetrics(registry: registry), logger: logger,
            clock: { Date().timeIntervalSince1970 })
        routes = ActionRoutes(engine: engine, currentTokens: { tokens.get() }, bodyLimit: policy.api.maxBodyBytes)
        logger.info(
            "remediation enabled",
            metadata: [
                "rules": "\(policy.rules.count)", "dry_run": "\(policy.dryRun)", "state_file": "\(policy.stateFile)",
                "audit_log": "\(policy.auditLog)", "host_names": "\(identities.sorted().joined(separator: ","))",
            ])
    }
}

/// Runs queued remediation actions; on shutdown stops taking new ones and audits those left unfinished.
struct EngineService: Service {
    let engine: RemediationEngine
    func run() async throws {
        await cancelWhenGracefulShutdown { await engine.run() }
        engine.interruptPending()
    }
}

/// Runs the collector loop on its own thread (see `CollectorExecutor`).
struct CollectorService: Service {
    let collector: Collector
    func run() async throws {
        let executor = CollectorExecutor()
        defer { executor.shutdown() }
        await withTaskExecutorPreference(executor) {
            await cancelWhenGracefulShutdown { await collector.run() }
        }
    }
}

struct CancelOnShutdown: Service {
    let base: any Service
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await base.run() }
    }
}

extension Service {
    func cancelOnShutdown() -> any Service { CancelOnShutdown(base: self) }
}
