import Logging
import ServiceLifecycle
import Systemd

/// Tells systemd how the agent is doing, for `Type=notify` units with `WatchdogSec=`: `READY=1` once the HTTP
/// listener is bound, a `STATUS=` line when it changes, `WATCHDOG=1` every half watchdog timeout (every 10 s
/// without a watchdog) but only while `isHealthy()` holds, so that systemd restarts an agent whose work is
/// wedged; `STOPPING=1` on graceful shutdown.
///
/// The behaviour lives in `Systemd.SupervisionLoop`, so that it is tested without building the whole agent;
/// this is the agent's named service for it.
///
/// Wiring, in `Agent.buildApplication` (add it only when a notify socket exists, so that runs outside systemd
/// and tests are unaffected):
///
/// ```swift
/// let listening = ReadinessSignal()
/// if let notifier = ServiceNotifier.fromEnvironment() {
///     services.append(
///         SystemdSupervision(
///             notifier: notifier,
///             ready: { await listening.wait() },
///             status: { "domains: \(store.snapshot().domains.count)" },  // any short one-line summary
///             isHealthy: { /* e.g. the last collection finished within a few intervals */ true },
///             logger: logger))
/// }
/// return Application(
///     router: router, server: server, configuration: ..., services: services,
///     onServerRunning: { _ in listening.signal() },
///     logger: logger)
/// ```
///
/// The unit then uses `Type=notify`, `NotifyAccess=main`, `WatchdogSec=30s` (more than the start-up time, since
/// pings begin with readiness) and `Restart=on-failure` or `always`.
public struct SystemdSupervision: Service {
    let loop: SupervisionLoop

    /// - Parameters:
    ///   - ready: returns once the HTTP listener is bound (or when the calling task is cancelled).
    ///   - status: one short line for `systemctl status`; newlines are flattened.
    ///   - isHealthy: false withholds watchdog pings; keep it cheap, it runs every period.
    public init(
        notifier: ServiceNotifier, ready: @escaping @Sendable () async -> Void,
        status: @escaping @Sendable () -> String, isHealthy: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        loop = SupervisionLoop(notifier: notifier, ready: ready, status: status, isHealthy: isHealthy, logger: logger)
    }

    public func run() async throws {
        await loop.run()
    }
}
