import Foundation
import HTTPTypes
import Testing

/// `--web.systemd-socket`: the agent serves on the sockets systemd passes, here through systemd-socket-activate,
/// which binds them, passes them as LISTEN_FDS and execs the agent when the first connection arrives, as systemd
/// does with a `.socket` unit.
@Suite struct SocketActivationTests {
    @Test(.enabled(if: which("systemd-socket-activate") != nil)) func servesOnEveryPassedSocket() async throws {
        let first = try AgentProcess.freePort()
        let second = try AgentProcess.freePort()
        let agent = try Daemon(
            "socket-activated agent", try #require(which("systemd-socket-activate")),
            [
                "-l", "127.0.0.1:\(first)", "-l", "[::1]:\(second)", "--fdname=web:web", Repo.agentBinary.path,
                "--web.systemd-socket", "--libvirt.uri", Repo.demoURI,
                // Would fail the start if the agent bound it rather than the passed sockets: it is taken.
                "--web.listen-address", "127.0.0.1:\(first)",
            ])
        defer { agent.stop() }
        for url in ["http://127.0.0.1:\(first)", "http://[::1]:\(second)"] {
            #expect(
                try await agent.wait(for: "an answer on \(url)", within: .seconds(30)) {
                    try curl(["\(url)/metrics"]).status == .ok
                })
        }
        #expect(agent.log.contains("listening on systemd socket web"), "\(agent.log.suffix(2000))")
    }

    @Test func withoutPassedSocketsTheStartFails() async throws {
        let agent = try Daemon(
            "agent", Repo.agentBinary.path, ["--web.systemd-socket", "--libvirt.uri", Repo.demoURI])
        let status = try await agent.exitStatus(within: .seconds(30))
        if status == nil { agent.stop() }
        #expect(status == 2, "\(agent.log)")
        #expect(
            agent.log.contains("--web.systemd-socket: systemd not available: no sockets were passed"), "\(agent.log)")
    }
}
