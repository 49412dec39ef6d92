import Foundation

/// A listening socket the test holds, as systemd holds a `.socket` unit's through restarts of its service, and
/// passes to each agent it starts.
final class HeldSocket: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        (descriptor, port) = try AgentProcess.boundLoopbackSocket()
        guard listen(descriptor, 256) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
    }

    deinit { close(descriptor) }

    /// The agent on this socket, passed as systemd passes one: descriptor 3, `LISTEN_FDS=1` and `LISTEN_PID` its
    /// own (known only once it runs, hence the shell that execs it).
    func startAgent(_ arguments: [String]) throws -> Daemon {
        try Daemon(
            "socket-activated agent", "/bin/sh",
            [
                "-c", #"LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=web exec "$0" "$@""#, Repo.agentBinary.path,
                "--web.systemd-socket",
            ] + arguments, passing: descriptor)
    }
}
