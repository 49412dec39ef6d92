import Logging
import ServiceLifecycle

/// The `Type=notify` protocol over a service's life: `READY=1` once `ready` returns, then every `statusPeriod`
/// a `STATUS=` line (when it changed), every `period` `WATCHDOG=1` (only while `isHealthy` holds), and
/// `STOPPING=1` on graceful shutdown or cancellation.
///
/// Withholding the keep-alive is the point of the health check: a process whose event loop still runs but whose
/// work is wedged gets killed and restarted by systemd (`WatchdogSec=`, `Restart=on-watchdog` or `always`),
/// which a plain timer ping would prevent.
///
/// Notification failures are logged (once per distinct error) and never end the loop: the service keeps
/// working when the notify channel breaks, and systemd's own timeouts take over.
public struct SupervisionLoop: Service {
    public let notifier: ServiceNotifier
    /// How often to send WATCHDOG.
    public let period: Duration
    /// How often to look for a new STATUS line: an operator's `systemctl status` right after starting a guest
    /// should show it, not wait for the next watchdog ping (15 s with the unit's WatchdogSec=30s).
    public let statusPeriod: Duration
    let ready: @Sendable () async -> Void
    let status: @Sendable () -> String
    let isHealthy: @Sendable () -> Bool
    let logger: Logger

    /// The period used when systemd runs no watchdog for us: status updates then need no tighter schedule.
    public static let defaultPeriod: Duration = .seconds(10)

    /// - Parameters:
    ///   - period: nil for half of `WatchdogSec=` (``ServiceNotifier/watchdogInterval()``), or
    ///     ``defaultPeriod`` when the watchdog is off.
    ///   - statusPeriod: at most `period`; one second by default (a status line is cheap to compute, and only a
    ///     changed one is sent).
    public init(
        notifier: ServiceNotifier, period: Duration? = nil, statusPeriod: Duration = .seconds(1),
        ready: @escaping @Sendable () async -> Void, status: @escaping @Sendable () -> String,
        isHealthy: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.notifier = notifier
        self.period = period ?? ServiceNotifier.watchdogInterval() ?? Self.defaultPeriod
        self.statusPeriod = min(statusPeriod, self.period)
        self.ready = ready
        self.status = status
        self.isHealthy = isHealthy
        self.logger = logger
    }

    public func run() async {
        // `ready` usually waits for the HTTP listener; a shutdown before that must not leave us waiting forever.
        await cancelWhenGracefulShutdown { await self.ready() }
        if !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try notifier.ready()
                logger.info("notified systemd: ready", metadata: ["period": "\(period)"])
            } catch {
                logger.warning("cannot notify systemd of readiness", metadata: ["error": "\(error)"])
            }
            await cancelWhenGracefulShutdown { await self.tick() }
        }
        do {
            try notifier.stopping()
        } catch {
            logger.warning("cannot notify systemd of shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// Returns when cancelled, which `cancelWhenGracefulShutdown` does on graceful shutdown.
    func tick() async {
        var sentStatus: String?
        var wasHealthy = true
        var lastFailure: String?
        func report(_ what: String, _ send: () throws(SystemdError) -> Void) -> Bool {
            do {
                try send()
                lastFailure = nil
                return true
            } catch {
                if "\(error)" != lastFailure {
                    logger.warning("cannot notify systemd", metadata: ["state": "\(what)", "error": "\(error)"])
                    lastFailure = "\(error)"
                }
                return false
            }
        }
        let clock = ContinuousClock()
        var nextPing = clock.now
        while !Task.isCancelled {
            // Status before health: a STATUS computed after a change of health is followed by a WATCHDOG
            // decision that also sees it, which keeps the two consistent for an observer of the datagrams.
            let line = status()
            if line != sentStatus, report("STATUS", { () throws(SystemdError) in try notifier.status(line) }) {
                sentStatus = line
            }
            let untilPing = clock.now.duration(to: nextPing)
            if untilPing > .zero {
                do {
                    try await Task.sleep(for: min(statusPeriod, untilPing))
                } catch {
                    return
                }
                continue
            }
            nextPing = clock.now.advanced(by: period)
            let healthy = isHealthy()
            if healthy {
                _ = report("WATCHDOG", { () throws(SystemdError) in try notifier.watchdog() })
            }
            if healthy != wasHealthy {
                if healthy {
                    logger.notice("agent healthy again: resuming systemd watchdog pings")
                } else {
                    logger.warning(
                        "agent unhealthy: withholding systemd watchdog pings", metadata: ["status": "\(line)"])
                }
                wasHealthy = healthy
            }
        }
    }
}
