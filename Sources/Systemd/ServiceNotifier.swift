import CSystemd
import Glibc

/// Tells the service manager about the service's state (`Type=notify`): readiness, a status line, shutdown and
/// watchdog keep-alives. Each call sends one datagram to `NOTIFY_SOCKET` through `sd_notify`, which reads the
/// variable on every call and leaves it set, so the notifier holds no state and any task may use it.
public struct ServiceNotifier: Sendable {
    /// The `NOTIFY_SOCKET` value seen when the notifier was made; informational, for logs.
    public let socket: String

    init(socket: String) {
        self.socket = socket
    }

    /// The notifier for this process, or nil when it was not started by a service manager that listens
    /// (`NOTIFY_SOCKET` unset or empty): then there is nobody to tell, and callers skip notification.
    public static func fromEnvironment() -> ServiceNotifier? {
        guard let value = getenv("NOTIFY_SOCKET"), value.pointee != 0 else { return nil }
        return ServiceNotifier(socket: String(cString: value))
    }

    /// `READY=1`: start-up finished; systemd moves the unit from "activating" to "active".
    public func ready() throws(SystemdError) {
        try send("READY=1")
    }

    /// `STATUS=`: free-form text shown by `systemctl status`. Made one line, as the protocol is line-based and
    /// a newline in the text would start a new (bogus) assignment.
    public func status(_ line: String) throws(SystemdError) {
        try send("STATUS=" + Self.sanitizedStatus(line))
    }

    /// `STOPPING=1`: shutdown began, so systemd shows "deactivating" rather than a crash when we exit.
    public func stopping() throws(SystemdError) {
        try send("STOPPING=1")
    }

    /// `WATCHDOG=1`: the keep-alive; with `WatchdogSec=` set, missing it for that long gets the service killed.
    public func watchdog() throws(SystemdError) {
        try send("WATCHDOG=1")
    }

    func send(_ state: String) throws(SystemdError) {
        let result = sd_notify(0, state)
        guard result != 0 else {
            // sd_notify returns 0, not an error, when the variable went away after the notifier was made.
            throw .notAvailable(reason: "NOTIFY_SOCKET is no longer set")
        }
        try check(result, "sd_notify")
    }

    /// The period at which to send `WATCHDOG=1`: half of `WatchdogSec=` (the usual advice, leaving one missed
    /// tick of slack), or nil when the watchdog is off for this process (`WATCHDOG_USEC` unset, invalid, or
    /// `WATCHDOG_PID` naming another process).
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// One line of printable text: control characters (newlines included) become spaces, runs collapse, and the
    /// ends are trimmed.
    static func sanitizedStatus(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar == " "
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace {
                result.unicodeScalars.append(" ")
                pendingSpace = false
            }
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}
