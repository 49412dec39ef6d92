import AgentHTTP
import HostProbe
import Hummingbird
import KVMCore
import LibvirtHypervisor
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Composes the agent: libvirt supervision, the collector loop and the HTTP server, as services of one
/// Hummingbird application, so that tests can run the whole agent in-process without the CLI.
public enum Agent {
    public static func buildApplication(
        _ configuration: AgentConfiguration, logger: Logger, hostProbe: HostProbe = HostProbe()
    ) -> some ApplicationProtocol {
        let store = InventoryStore()
        let registry = PrometheusCollectorRegistry()
        let telemetry = AgentTelemetry(registry: registry, version: configuration.version)
        let pool = NIOThreadPool(numberOfThreads: configuration.collector.libvirtThreads)
        pool.start()
        let hypervisor = LibvirtHypervisor(pool: pool)
        let collector = Collector(
            hypervisor: hypervisor, store: store,
            options: CollectorOptions(
                interval: configuration.collector.interval, timeout: configuration.collector.timeout,
                concurrency: configuration.collector.concurrency),
            probeHost: { hostProbe.probe() }, telemetry: telemetry, logger: logger)
        let supervisor = ConnectionSupervisor(
            uri: configuration.libvirtURI, hypervisor: hypervisor, store: store,
            hooks: .init(
                lifecycleEvent: { event in
                    store.applyLifecycle(event)
                    telemetry.eventReceived(event)
                    collector.requestRefresh()
                },
                connected: { reconnect in
                    telemetry.connected(reconnect: reconnect)
                    collector.requestCollection()
                },
                disconnected: { _ in telemetry.disconnected() }),
            logger: logger)
        let processProbe = ProcessProbe()
        let routes = AgentRoutes(
            metrics: MetricsSource(store: store, registry: registry, process: { processProbe.sample() }),
            store: store, telemetryPath: configuration.telemetryPath, version: configuration.version)
        let router = Router()
        routes.register(on: router)
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "kvm-agent"),
            services: [
                supervisor.cancelOnShutdown(), CollectorService(collector: collector),
                ThreadPoolService(pool: pool),
            ],
            logger: logger)
    }
}

struct CollectorService: Service {
    let collector: Collector
    func run() async throws {
        await cancelWhenGracefulShutdown { await collector.run() }
    }
}

/// Shuts the libvirt thread pool down with the agent. Threads stuck in a libvirt call are not waited for.
struct ThreadPoolService: Service {
    let pool: NIOThreadPool
    func run() async throws {
        try? await gracefulShutdown()
        pool.shutdownGracefully { _ in }
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
