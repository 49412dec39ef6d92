import Foundation
import KVMCore
import Libvirt
import Logging
import ServiceLifecycle

/// Keeps one connection to libvirt alive: opens it, registers the close and lifecycle callbacks, and when
/// the daemon goes away marks libvirt down and reconnects with backoff (0.5 s, doubling, capped at 4 s, so
/// that a restarted daemon is found within 4 s; a refused connect on a local socket costs next to nothing),
/// registering every callback again, since a restarted daemon has forgotten them.
public final class ConnectionSupervisor: Service {
    public struct Hooks: Sendable {
        /// Runs on libvirt's event thread: must be quick.
        public var lifecycleEvent: @Sendable (LifecycleEvent) -> Void
        public var connected: @Sendable (_ reconnect: Bool) -> Void
        public var disconnected: @Sendable (_ reason: String) -> Void

        public init(
            lifecycleEvent: @escaping @Sendable (LifecycleEvent) -> Void,
            connected: @escaping @Sendable (_ reconnect: Bool) -> Void,
            disconnected: @escaping @Sendable (_ reason: String) -> Void
        ) {
            self.lifecycleEvent = lifecycleEvent
            self.connected = connected
            self.disconnected = disconnected
        }
    }

    let uri: String
    let hypervisor: LibvirtHypervisor
    let store: InventoryStore
    let hooks: Hooks
    let logger: Logger
    let firstRetry: Duration
    let maximumRetry: Duration
    let connectTimeout: Duration

    public init(
        uri: String, hypervisor: LibvirtHypervisor, store: InventoryStore, hooks: Hooks, logger: Logger,
        firstRetry: Duration = .milliseconds(500), maximumRetry: Duration = .seconds(4),
        connectTimeout: Duration = .seconds(10)
    ) {
        self.uri = uri
        self.hypervisor = hypervisor
        self.store = store
        self.hooks = hooks
        self.logger = logger
        self.firstRetry = firstRetry
        self.maximumRetry = maximumRetry
        self.connectTimeout = connectTimeout
    }

    public func run() async throws {
        try LibvirtEventLoop.start()
        var delay = firstRetry
        var connectedBefore = false
        var lastFailure = ""
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let closed = Wakeup()
            do {
                // A daemon that accepts but never answers (stopped, deadlocked) must not hang the agent:
                // the attempt is abandoned at the deadline and its connections closed when it returns.
                let (control, stats, identity, cpuMapSize) = try await withDeadline(
                    connectTimeout, operation: "connect"
                ) {
                    try await self.open(closed: closed)
                }
                hypervisor.install(control: control, stats: stats, hostCPUs: cpuMapSize)
                store.connected(identity)
                logger.info(
                    "connected to libvirt",
                    metadata: [
                        "uri": "\(uri)", "hypervisor": "\(identity.hypervisor)",
                        "libvirt": "\(identity.libvirtVersion)",
                    ])
                hooks.connected(connectedBefore)
                connectedBefore = true
                delay = firstRetry
                lastFailure = ""
                await waitUntilClosed([control, stats], closed: closed)
                hypervisor.uninstall()
                store.disconnected()
                // Stopping is not losing the connection: no warning, no reconnect.
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                hooks.disconnected("connection closed")
                logger.warning("libvirt connection lost, reconnecting", metadata: ["uri": "\(uri)"])
                continue
            } catch {
                store.disconnected()
                // Log a failure once, not on every retry, until it changes.
                if "\(error)" != lastFailure {
                    logger.warning(
                        "cannot connect to libvirt, retrying with backoff",
                        metadata: ["uri": "\(uri)", "error": "\(error)"])
                    lastFailure = "\(error)"
                }
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maximumRetry)
        }
        hypervisor.uninstall()
    }

    /// Opens the control connection (events, listing) and the stats connection; either closing means both
    /// are opened again.
    private func open(closed: Wakeup) async throws -> (Connection, Connection, HypervisorIdentity, Int) {
        let uri = self.uri
        let hooks = self.hooks
        return try await hypervisor.blocking {
            let connection = try Connection(uri: uri)
            let stats = try Connection(uri: uri)
            for c in [connection, stats] {
                c.setKeepAlive(interval: 5, count: 3)
                try c.onClose { _ in closed.signal() }
            }
            try connection.onLifecycleEvent { info in
                hooks.lifecycleEvent(
                    LifecycleEvent(
                        domain: DomainRef(uuid: info.uuid, name: info.name), kindCode: info.event,
                        detailCode: info.detail,
                        time: Date().timeIntervalSince1970))
            }
            let identity = try LibvirtHypervisor.identity(of: connection)
            return (connection, stats, identity, try connection.hostCPUCount())
        }
    }

    /// Returns when the close callback fires, or when a liveness check finds the connection dead (a backstop
    /// in case the callback is missed), or on shutdown.
    private func waitUntilClosed(_ connections: [Connection], closed: Wakeup) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await closed.wait(upTo: .seconds(2))
            if connections.contains(where: { !$0.isAlive }) || Task.isCancelled { return }
        }
    }
}
