import Foundation
import HTTPTypes
import Testing

/// What a graceful stop (SIGTERM, as `systemctl stop` or a restart sends) does to connections already accepted.
/// Behind a systemd socket a restart must refuse no scrape: the kernel queues new connections on systemd's socket,
/// and those the old agent accepted must be answered by it, not reset.
@Suite struct ShutdownDrainTests {
    /// The race the systemd test met once in 320 scrapes: accepted before the stop, request read after it.
    @Test func aRequestOnAConnectionAcceptedBeforeTheStopIsAnswered() async throws {
        let agent = try await AgentProcess(policy: nil, uri: Repo.demoURI, extra: ["--web.read-header-timeout", "20s"])
        var exited = false
        defer { if !exited { agent.kill() } }
        let held = try await Self.acceptedConnection(agent)

        let stopped = ContinuousClock.now
        agent.daemon.terminate()
        let listenerClosed = try await agent.daemon.wait(for: "the listener closed", within: .seconds(30)) {
            (try? RawConnection(port: agent.port)) == nil
        }
        try #require(listenerClosed)
        // Sent after the stop began: the agent holds the connection for a moment (2 s) for a request on its way.
        try await held.send("GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n")
        let sentAfter = ContinuousClock.now - stopped
        let answer = try await held.readResponse(within: .seconds(10))
        if sentAfter < .milliseconds(1500) {
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(await held.closedByServer(within: .seconds(10)), "the connection stayed open after its answer")
        } else {
            // A loaded machine sent it too late to tell: the moment may have passed, and then the connection closes
            // unanswered. Anything else is still wrong.
            #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 200"), "sent after \(sentAfter): \(answer)")
        }
        let status = try await agent.daemon.exitStatusOrStop(within: .seconds(30))
        exited = true
        #expect(status == 0, "\(agent.daemon.log.suffix(2000))")
    }

    /// A client that connects and never sends holds the stop for that moment, not for the whole head timeout.
    @Test func aSilentConnectionHoldsTheStopOnlyBriefly() async throws {
        let agent = try await AgentProcess(policy: nil, uri: Repo.demoURI, extra: ["--web.read-header-timeout", "60s"])
        var exited = false
        defer { if !exited { agent.kill() } }
        let silent = try await Self.acceptedConnection(agent)

        agent.daemon.terminate()
        #expect(await silent.closedByServer(within: .seconds(15)))
        let status = try await agent.daemon.exitStatusOrStop(within: .seconds(15))
        exited = true
        #expect(status == 0, "\(agent.daemon.log.suffix(2000))")
    }

    /// A raw connection the agent has accepted: the listening socket's accept queue is empty once it is.
    private static func acceptedConnection(_ agent: AgentProcess) async throws -> RawConnection {
        let up = try await agent.daemon.wait(for: "/healthz", within: .seconds(30)) {
            try agent.curl(["\(agent.base)/healthz"]).status == .ok
        }
        try #require(up)
        let connection = try RawConnection(port: agent.port)
        // A precondition, not the thing tested: the bound is generous, since the suite starts many agents at once.
        let accepted = try await agent.daemon.wait(for: "the raw connection accepted", within: .seconds(30)) {
            acceptQueueLength(port: agent.port) == 0
        }
        try #require(accepted)
        return connection
    }
}

/// Connections waiting in the accept queue of the socket listening on 127.0.0.1:`port` (for a listening socket,
/// /proc/net/tcp's rx_queue is that count), or nil if none listens there.
func acceptQueueLength(port: Int) -> Int? {
    guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
    let local = "0100007F:" + String(format: "%04X", port)
    for line in table.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[1] == local, fields[3] == "0A" else { continue }
        return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
    }
    return nil
}
