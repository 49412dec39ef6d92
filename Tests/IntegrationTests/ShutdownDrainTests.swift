import Foundation
import HTTPTypes
import Testing

/// What a graceful stop (SIGTERM, as `systemctl stop` or a restart sends) does to connections already accepted.
/// Behind a systemd socket a restart must refuse no scrape: the kernel queues new connections on systemd's socket,
/// and those the old agent accepted must be answered by it, not reset.
@Suite struct ShutdownDrainTests {
    /// The race the systemd test met once in 320 scrapes: accepted before the stop, request read after it.
    @Test func aRequestOnAConnectionAcceptedBeforeTheStopIsAnswered() async throws {
        let agent = try AgentProcess(policy: nil, uri: Repo.demoURI, extra: ["--web.read-header-timeout", "20s"])
        var exited = false
        defer { if !exited { agent.kill() } }
        let held = try await Self.acceptedConnection(agent)

        agent.daemon.terminate()
        let listenerClosed = try await agent.daemon.wait(for: "the listener closed", within: .seconds(30)) {
            (try? RawConnection(port: agent.port)) == nil
        }
        try #require(listenerClosed)
        // Without the fix the connection is closed here, as the shutdown reaches it.
        #expect(await !held.closedByServer(within: .seconds(1)), "the idle connection was closed by the stop")

        try await held.send("GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n")
        let answer = try await held.readResponse(within: .seconds(10))
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(await held.closedByServer(within: .seconds(10)), "the connection stayed open after its answer")
        let status = try await agent.daemon.exitStatus(within: .seconds(30))
        exited = status != nil
        #expect(status == 0, "\(agent.daemon.log.suffix(2000))")
    }

    /// A client that connects and never sends cannot hold the stop for longer than the head deadline.
    @Test func aSilentConnectionHoldsTheStopOnlyUntilItsHeadDeadline() async throws {
        let agent = try AgentProcess(policy: nil, uri: Repo.demoURI, extra: ["--web.read-header-timeout", "3s"])
        var exited = false
        defer { if !exited { agent.kill() } }
        let silent = try await Self.acceptedConnection(agent)

        agent.daemon.terminate()
        #expect(await silent.closedByServer(within: .seconds(15)))
        let status = try await agent.daemon.exitStatus(within: .seconds(15))
        exited = status != nil
        #expect(status == 0, "\(agent.daemon.log.suffix(2000))")
    }

    /// A raw connection the agent has accepted: its open-connection gauge counts it besides the scrape that reads
    /// the gauge.
    private static func acceptedConnection(_ agent: AgentProcess) async throws -> RawConnection {
        let up = try await agent.daemon.wait(for: "/healthz", within: .seconds(30)) {
            try agent.curl(["\(agent.base)/healthz"]).status == .ok
        }
        try #require(up)
        let connection = try RawConnection(port: agent.port)
        let accepted = try await agent.daemon.wait(for: "the raw connection accepted", within: .seconds(10)) {
            let scrape = Scrape(try agent.curl(["\(agent.base)/metrics"]).text)
            return (scrape.value("kvm_agent_http_connections_open") ?? 0) >= 2
        }
        try #require(accepted)
        return connection
    }
}
