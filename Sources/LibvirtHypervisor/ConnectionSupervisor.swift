import Foundation
import KVMCore
import Libvirt
import Logging
import ServiceLifecycle

/// Keeps one connection to libvirt alive: opens it, registers the close and lifecycle callbacks, and when
/// the daemon goes away marks libvirt down and reconnects with backoff (0.5 s, doubling, capped at 4 s, so
/// that a restarted daemon is found within 4 s; a refused connect on a local socket costs next to nothing),
/// registering every callback again, since a restarted daemon has forgotten them. A refusal (permission) is
/// retried the same way: libvirt asks polkit once per connection, so access granted later takes effect on the
/// next attempt, without a restart of the agent.
public final class ConnectionSupervisor: Service {
    public struct Hooks: Sendable {
        /// Runs on libvirt's event thread: must be quick.
        public var lifecycleEvent: @Sendable (LifecycleEvent) -> Void
        public var connected: @Sendable (_ reconnect: Bool) -> Void
        public var disconnected: @Sendable (_ reason: String) -> Void
        /// Every failed attempt to connect, logged or not (the log says a failure once, until its kind changes).
        public var connectFailed: @Sendable (ConnectionFailure.Kind) -> Void
        /// Storage pool (lifecycle and refresh) and virtual network events; on libvirt's event thread too.
        public var storagePoolEvent: @Sendable (StoragePoolEvent) -> Void = { _ in }
        public var networkEvent: @Sendable (NetworkEvent) -> Void = { _ in }
        /// A guest agent connected or disconnected. Runs on libvirt's event thread: must be quick.
        public var agentLifecycleEvent: @Sendable (AgentLifecycleEvent) -> Void
        /// Disk errors, block thresholds and jobs; runs on libvirt's event thread: must be quick.
        public var domainEvent: @Sendable (DomainEvent) -> Void

        public init(
            lifecycleEvent: @escaping @Sendable (LifecycleEvent) -> Void,
            connected: @escaping @Sendable (_ reconnect: Bool) -> Void,
            disconnected: @escaping @Sendable (_ reason: String) -> Void,
            connectFailed: @escaping @Sendable (ConnectionFailure.Kind) -> Void = { _ in },
            agentLifecycleEvent: @escaping @Sendable (AgentLifecycleEvent) -> Void = { _ in },
            domainEvent: @escaping @Sendable (DomainEvent) -> Void = { _ in }
        ) {
            self.domainEvent = domainEvent
            self.lifecycleEvent = lifecycleEvent
            self.connected = connected
            self.disconnected = disconnected
            self.connectFailed = connectFailed
            self.agentLifecycleEvent = agentLifecycleEvent
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
    /// Named in what the operator is told when libvirt refuses the agent.
    let user: String
    /// Makes one attempt to open the connections: `open(closed:)`, or a test's scripted failures before it.
    let attempt: @Sendable (ConnectionSupervisor, Wakeup) async throws -> Opened

    typealias Opened = (control: Connection, stats: Connection, identity: HypervisorIdentity, hostCPUs: Int)

    public convenience init(
        uri: String, hypervisor: LibvirtHypervisor, store: InventoryStore, hooks: Hooks, logger: Logger,
        firstRetry: Duration = .milliseconds(500), maximumRetry: Duration = .seconds(4),
        connectTimeout: Duration = .seconds(10), user: String = ConnectionFailure.processUser
    ) {
        self.init(
            uri: uri, hypervisor: hypervisor, store: store, hooks: hooks, logger: logger, firstRetry: firstRetry,
            maximumRetry: maximumRetry, connectTimeout: connectTimeout, user: user,
            attempt: { supervisor, closed in try await supervisor.open(closed: closed) })
    }

    init(
        uri: String, hypervisor: LibvirtHypervisor, store: InventoryStore, hooks: Hooks, logger: Logger,
        firstRetry: Duration, maximumRetry: Duration, connectTimeout: Duration, user: String,
        attempt: @escaping @Sendable (ConnectionSupervisor, Wakeup) async throws -> Opened
    ) {
        self.attempt = attempt
        self.uri = uri
        self.hypervisor = hypervisor
        self.store = store
        self.hooks = hooks
        self.logger = logger
        self.firstRetry = firstRetry
        self.maximumRetry = maximumRetry
        self.connectTimeout = connectTimeout
        self.user = user
    }

    public func run() async throws {
        try LibvirtEventLoop.start()
        var delay = firstRetry
        var connectedBefore = false
        // The last failure since the last connection: a warning is logged when its kind changes, not on every
        // retry, nor when only libvirt's wording changes (a pid or a path in it).
        var lastFailure: ConnectionFailure?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let closed = Wakeup()
            do {
                // A daemon that accepts but never answers (stopped, deadlocked) must not hang the agent:
                // the attempt is abandoned at the deadline and its connections closed when it returns.
                let (control, stats, identity, cpuMapSize) = try await withDeadline(
                    connectTimeout, operation: "connect"
                ) {
                    try await self.attempt(self, closed)
                }
                hypervisor.install(control: control, stats: stats, hostCPUs: cpuMapSize)
                store.connected(identity)
                var metadata: Logger.Metadata = [
                    "uri": "\(uri)", "hypervisor": "\(identity.hypervisor)", "libvirt": "\(identity.libvirtVersion)",
                ]
                // Access granted while the agent kept retrying: say that this is the end of the refusal.
                if lastFailure?.kind == .permissionDenied { metadata["after"] = "permission denied" }
                logger.info("connected to libvirt", metadata: metadata)
                hooks.connected(connectedBefore)
                connectedBefore = true
                delay = firstRetry
                lastFailure = nil
                await waitUntilClosed([control, stats], closed: closed)
                hypervisor.uninstall()
                store.disconnected(
                    ConnectionFailure(kind: .unreachable, reason: "the connection was closed", user: user))
                // Stopping is not losing the connection: no warning, no reconnect.
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                hooks.disconnected("connection closed")
                logger.warning("libvirt connection lost, reconnecting", metadata: ["uri": "\(uri)"])
                continue
            } catch {
                let failure = ConnectionFailure(connecting: error, user: user)
                store.disconnected(failure)
                hooks.connectFailed(failure.kind)
                log(failure, error: error, previous: lastFailure, retryIn: delay)
                lastFailure = failure
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maximumRetry)
        }
        hypervisor.uninstall()
    }

    private func log(_ failure: ConnectionFailure, error: any Error, previous: ConnectionFailure?, retryIn: Duration) {
        var metadata: Logger.Metadata = ["uri": "\(uri)", "error": "\(error)"]
        guard failure.kind != previous?.kind else {
            metadata["retry_in"] = "\(retryIn)"
            logger.debug("still cannot connect to libvirt", metadata: metadata)
            return
        }
        switch failure.kind {
        case .permissionDenied: logger.warning("\(failure.advice); retrying", metadata: metadata)
        case .unreachable: logger.warning("cannot connect to libvirt, retrying with backoff", metadata: metadata)
        }
    }

    /// Opens the control connection (events, listing) and the stats connection; either closing means both
    /// are opened again.
    func open(closed: Wakeup) async throws -> Opened {
        let uri = self.uri
        let hooks = self.hooks
        let logger = self.logger
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
            for failure in Self.registerStorageEvents(on: connection, hooks: hooks) {
                logger.warning(
                    "no storage pool or network events: listed every collector pass only",
                    metadata: ["uri": "\(uri)", "error": "\(failure)"])
            }
            try connection.onAgentLifecycleEvent { info in
                let ref = DomainRef(uuid: info.uuid, name: info.name)
                if let event = AgentLifecycleEvent(domain: ref, stateCode: info.state) {
                    hooks.agentLifecycleEvent(event)
                }
            }
            let refused = connection.onDomainEvents {
                hooks.domainEvent(DomainEvent($0, time: Date().timeIntervalSince1970))
            }
            if !refused.isEmpty { logger.warning("libvirt refused domain events", metadata: ["ids": "\(refused)"]) }
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
