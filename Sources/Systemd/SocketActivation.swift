import CSystemd
import Glibc

/// The listening sockets systemd passes a socket-activated service (`LISTEN_FDS`, `LISTEN_PID`,
/// `LISTEN_FDNAMES`): with a `.socket` unit systemd holds the port across restarts and upgrades, so scrapes
/// queue instead of being refused while the agent restarts.
public enum SocketActivation {
    /// One inherited socket: its descriptor and the `FileDescriptorName=` of its unit (or "unknown").
    public struct Socket: Sendable, Equatable {
        public let descriptor: Int32
        public let name: String
    }

    /// Takes the sockets passed to this process, marks them close-on-exec and removes the variables from the
    /// environment (so a child process does not take them for its own). Throws when none were passed or one is
    /// not a listening stream socket: the HTTP server can serve only those.
    public static func takeListeningSockets() throws(SystemdError) -> [Socket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = try check(sd_listen_fds_with_names(1, &names), "sd_listen_fds_with_names")
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        guard count > 0 else {
            throw .notAvailable(
                reason: "no sockets were passed (LISTEN_FDS is unset, or LISTEN_PID is not this process)")
        }
        var sockets: [Socket] = []
        for index in 0..<count {
            let descriptor = SD_LISTEN_FDS_START + index
            let name = names?[Int(index)].map { String(cString: $0) } ?? "unknown"
            guard try check(sd_is_socket(descriptor, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1), "sd_is_socket") > 0
            else {
                throw .failed(
                    operation: "socket activation", errno: EINVAL,
                    message: "descriptor \(descriptor) (\(name)) is not a listening stream socket")
            }
            sockets.append(Socket(descriptor: descriptor, name: name))
        }
        return sockets
    }
}
