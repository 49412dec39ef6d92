import CLibvirt
import Glibc

extension LibvirtError {
    /// libvirt's error domains (`virErrorDomain`) that say who refused a connection.
    public enum Origin {
        public static let rpc = Int(VIR_FROM_RPC.rawValue)
        public static let dbus = Int(VIR_FROM_DBUS.rawValue)
        public static let accessControl = Int(VIR_FROM_ACCESS.rawValue)
        public static let polkit = Int(VIR_FROM_POLKIT.rawValue)
    }

    /// Whether opening a connection failed because libvirt, or the system, refuses the calling user, rather
    /// than because the daemon is not there: access must be granted, waiting will not help.
    ///
    /// - polkit said no or could not ask anyone: `authFailed`, `authUnavailable` ("no polkit agent available
    ///   to authenticate action 'org.libvirt.unix.manage'"), `authCancelled`, or any error from the polkit
    ///   domain;
    /// - an access-control driver refused: `accessDenied`, or the access domain;
    /// - polkit could not be reached at all: the daemon asks it over the system bus for every unprivileged
    ///   client, so a D-Bus error on connecting ("Unable to get system bus connection", internal error in the
    ///   D-Bus domain) means no unprivileged user can be let in;
    /// - the socket's permissions: connect(2) failed with EACCES or EPERM (`systemError` with that errno,
    ///   "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied").
    ///
    /// Only meaningful for errors of opening a connection: elsewhere a D-Bus error may have other causes.
    public var refusesAccess: Bool {
        switch code {
        case .authFailed, .authUnavailable, .authCancelled, .accessDenied: return true
        case .systemError where systemErrno == EACCES || systemErrno == EPERM: return true
        default: return [Origin.polkit, Origin.accessControl, Origin.dbus].contains(domain)
        }
    }
}
