import Foundation
import HTTPTypes
import Synchronization
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
        let status = try await agent.exitStatusOrStop(within: .seconds(30))
        #expect(status == 2, "\(agent.log)")
        #expect(
            agent.log.contains("--web.systemd-socket: systemd not available: no sockets were passed"), "\(agent.log)")
    }

    /// Restarts behind a socket the service manager holds lose no request: connections wait in the kernel's queue
    /// while no agent runs, and each one an agent accepted is answered by it, even when its stop comes a moment
    /// later. Clients connect as fast as they can through ten restarts.
    @Test func restartsOnAHeldSocketLoseNoRequest() async throws {
        let socket = try HeldSocket()
        let arguments = ["--libvirt.uri", Repo.demoURI, "--collector.interval", "10m"]
        let outcomes = Outcomes()
        try await withThrowingTaskGroup(of: Void.self) { clients in
            var agent = try socket.startAgent(arguments)
            for _ in 0..<3 {
                clients.addTask {
                    while !outcomes.stopping {
                        outcomes.add(await Self.healthz(port: socket.port))
                    }
                }
            }
            for _ in 0..<10 {
                // Requests answered by the agent just started (its predecessor has exited), so that every stop
                // comes while clients are connecting.
                let before = outcomes.total
                let serving = try await agent.wait(for: "20 requests on the held socket", within: .seconds(30)) {
                    outcomes.total >= before + 20
                }
                try #require(serving)
                agent.terminate()
                let status = try await agent.exitStatusOrStop(within: .seconds(30))
                #expect(status == 0, "\(agent.log.suffix(2000))")
                agent = try socket.startAgent(arguments)
            }
            let before = outcomes.total
            _ = try await agent.wait(for: "requests after the last restart", within: .seconds(30)) {
                outcomes.total >= before + 20
            }
            outcomes.stop()
            try await clients.waitForAll()
            agent.stop()
        }
        let seen = outcomes.counts
        #expect(seen.keys.sorted() == ["200"], "\(seen)")
        #expect(seen["200", default: 0] >= 200, "too few requests to tell: \(seen)")
    }

    /// One request on a new connection: "200", or what went wrong.
    static func healthz(port: Int) async -> String {
        do {
            let connection = try RawConnection(port: port)
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n")
            let answer = try await connection.readResponse(within: .seconds(20))
            if answer.isEmpty { return "closed without an answer" }
            return answer.hasPrefix("HTTP/1.1 200") ? "200" : "answered \(answer.prefix(40))"
        } catch {
            return "\(error)"
        }
    }
}

/// Requests' outcomes counted by clients on several tasks, and the word for them to stop.
final class Outcomes: Sendable {
    private let state = Mutex<(counts: [String: Int], stopping: Bool)>(([:], false))

    func add(_ outcome: String) { state.withLock { $0.counts[outcome, default: 0] += 1 } }
    func stop() { state.withLock { $0.stopping = true } }
    var stopping: Bool { state.withLock { $0.stopping } }
    var counts: [String: Int] { state.withLock { $0.counts } }
    var total: Int { state.withLock { $0.counts.values.reduce(0, +) } }
}
