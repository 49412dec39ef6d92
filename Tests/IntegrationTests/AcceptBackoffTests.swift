import Foundation
import Testing

/// The agent binary at its descriptor limit: accept() fails with EMFILE while connections wait in the backlog.
/// NIO's AcceptBackoffHandler, which NIO's ServerBootstrap puts on every server channel it binds (Hummingbird
/// binds through it), then waits a second between attempts instead of retrying at once.
@Suite struct AcceptBackoffTests {
    @Test func acceptFailingForWantOfDescriptorsDoesNotSpin() async throws {
        let port = try AgentProcess.freePort()
        // Caps above the descriptor limit, so that the limit is what stops accepting.
        let agent = try Daemon(
            "agent", "/usr/bin/prlimit",
            [
                "--nofile=96:96", "--", Repo.agentBinary.path, "--web.listen-address", "127.0.0.1:\(port)",
                "--libvirt.uri", Repo.demoURI, "--web.max-connections", "1000",
            ])
        defer { agent.stop() }
        let scraper = try await Self.connectedScraper(port: port, within: .seconds(60))
        var flood: [RawConnection] = []
        for index in 0..<150 { flood.append(try RawConnection(port: port, from: "127.0.0.\(10 + index % 3)")) }
        // Let the agent reach its limit, then measure.
        let scrapeMetrics = "GET /metrics HTTP/1.1\r\nHost: agent\r\n\r\n"
        try await scraper.send(scrapeMetrics)
        _ = try await scraper.readResponse(within: .seconds(5))
        let before = try Self.cpuSeconds(agent.pid)
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        let busy = try Self.cpuSeconds(agent.pid) - before
        let elapsed = ContinuousClock.now - start
        #expect(busy < 0.3, "the agent used \(busy) s of CPU in \(elapsed) at its descriptor limit")
        // A kept-alive scraper is still served.
        try await scraper.send(scrapeMetrics)
        let answer = try await scraper.readResponse(within: .seconds(1))
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("kvm_agent_http_connections_open"))
        // Once the flood has gone, accepting resumes: the agent first drains the backlog of closed connections,
        // which under the whole suite's load took more than 10 s once.
        flood.removeAll()
        let fresh = try await Self.connectedScraper(port: port, within: .seconds(30))
        withExtendedLifetime(fresh) {}
    }

    /// A connection that has been answered once, made again until `deadline`.
    static func connectedScraper(port: Int, within deadline: Duration) async throws -> RawConnection {
        let end = ContinuousClock.now + deadline
        while true {
            if let connection = try? RawConnection(port: port, from: "127.0.0.2") {
                try? await connection.send("GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n")
                if let answer = try? await connection.readResponse(within: .seconds(2)),
                    answer.hasPrefix("HTTP/1.1 200")
                {
                    return connection
                }
            }
            guard ContinuousClock.now < end else { throw RawConnection.Failure.timedOut("the agent never answered") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// User plus system CPU time of a process, from /proc/PID/stat.
    static func cpuSeconds(_ pid: pid_t) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = try #require(stat.split(separator: ")").last).split(separator: " ")
        let ticks = try #require(Double(fields[11])) + #require(Double(fields[12]))
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
