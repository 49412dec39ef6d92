import CSystemd
import Glibc

/// What systemd says about one unit.
public struct UnitState: Sendable, Equatable {
    /// `ActiveState`, e.g. "active", "inactive", "failed", "activating".
    public var activeState: String
    /// `UnitFileState`, e.g. "enabled", "disabled", "static", "masked"; empty for units without a unit file
    /// (not found, transient).
    public var unitFileState: String
    /// `LoadState`: "loaded", "not-found" (no unit file: the unit does not exist on this host), "masked", ...
    public var loadState: String

    public init(activeState: String, unitFileState: String, loadState: String = "loaded") {
        self.activeState = activeState
        self.unitFileState = unitFileState
        self.loadState = loadState
    }

    /// The unit exists on this host: systemd found a unit file for it (a masked unit exists, and is masked).
    public var exists: Bool { loadState != "not-found" }

    /// Running now.
    public var active: Bool { activeState == "active" }
    /// Started at boot: "enabled", or "enabled-runtime" (enabled until the next reboot).
    public var enabled: Bool { unitFileState == "enabled" || unitFileState == "enabled-runtime" }
}

/// The states of `units` (full names such as "libvirtd.service"), asked of systemd over the system bus.
///
/// A unit systemd has no file for is reported, not thrown: `LoadUnit` gives it an object whose LoadState is
/// "not-found", ActiveState "inactive" and UnitFileState empty. Throws ``SystemdError/notAvailable(reason:)`` when systemd is not the
/// service manager or the system bus cannot be reached (callers log that once and omit what depends on it), and
/// ``SystemdError/failed(operation:errno:message:)`` when a call fails, e.g. for an invalid unit name.
///
/// Blocks for the D-Bus round trips (a few milliseconds on a local bus; at most 5 s per call), so call it from a
/// thread that may block rather than from a latency-sensitive task.
///
/// The connection is opened and closed within the call: sd-bus objects are not thread-safe and remember the
/// process that opened them, and Swift tasks hop between threads, so a connection shared across calls would
/// need a lock around every use. At one call per scrape, reconnecting costs less than that complexity, and it
/// also recovers by itself when dbus or systemd restarts.
public func unitStates(_ units: [String]) throws(SystemdError) -> [String: UnitState] {
    let booted = sd_booted()
    guard booted > 0 else {
        if booted < 0 { throw SystemdError.errno(booted, "sd_booted") }
        throw .notAvailable(reason: "systemd is not the service manager (/run/systemd/system does not exist)")
    }
    let bus = try SystemBus()
    var states: [String: UnitState] = [:]
    for unit in units where states[unit] == nil {
        let path = try bus.unitPath(unit)
        let unitInterface = "org.freedesktop.systemd1.Unit"
        states[unit] = UnitState(
            activeState: try bus.stringProperty(path: path, interface: unitInterface, member: "ActiveState"),
            unitFileState: try bus.stringProperty(path: path, interface: unitInterface, member: "UnitFileState"),
            loadState: try bus.stringProperty(path: path, interface: unitInterface, member: "LoadState"))
    }
    return states
}

/// One system bus connection, used by a single call on a single thread and closed on deinit.
private final class SystemBus {
    let bus: OpaquePointer

    init() throws(SystemdError) {
        var opened: OpaquePointer?
        let result = sd_bus_open_system(&opened)
        guard result >= 0, let opened else {
            throw .notAvailable(
                reason: "cannot connect to the system bus: \(SystemdError.describe(errno: -result))")
        }
        bus = opened
        // The default (25 s) would hold a scrape far beyond any sensible scrape timeout if systemd hangs.
        sd_bus_set_method_call_timeout(bus, 5_000_000)
    }

    deinit {
        sd_bus_flush_close_unref(bus)
    }

    /// The unit's object path. LoadUnit rather than GetUnit: GetUnit fails for units that are not loaded at the
    /// moment (e.g. inactive ones systemd garbage-collected), LoadUnit loads them on demand.
    func unitPath(_ unit: String) throws(SystemdError) -> String {
        var error = kvmshim_bus_error_null()
        defer { sd_bus_error_free(&error) }
        var path: UnsafeMutablePointer<CChar>?
        let result = kvmshim_bus_unit_path(bus, "LoadUnit", unit, &path, &error)
        try Self.check(result, error, "LoadUnit(\(unit))")
        guard let path else { throw SystemdError.errno(-EBADMSG, "LoadUnit(\(unit))") }
        defer { free(path) }
        return String(cString: path)
    }

    func stringProperty(path: String, interface: String, member: String) throws(SystemdError) -> String {
        var error = kvmshim_bus_error_null()
        defer { sd_bus_error_free(&error) }
        var value: UnsafeMutablePointer<CChar>?
        let result = kvmshim_bus_get_string_property(bus, path, interface, member, &value, &error)
        try Self.check(result, error, "Get(\(path), \(member))")
        guard let value else { return "" }
        defer { free(value) }
        return String(cString: value)
    }

    /// Turns a failed call into an error, preferring the D-Bus error's own message (e.g. "Unit name x is not
    /// valid.") over the errno it maps to.
    static func check(_ result: Int32, _ error: sd_bus_error, _ operation: String) throws(SystemdError) {
        guard result < 0 else { return }
        var message = SystemdError.describe(errno: -result)
        if let name = error.name {
            message = String(cString: name) + (error.message.map { ": " + String(cString: $0) } ?? "")
        }
        throw .failed(operation: operation, errno: -result, message: message)
    }
}
