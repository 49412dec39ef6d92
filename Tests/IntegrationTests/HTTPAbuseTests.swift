import Foundation
import HummingbirdTesting
import Testing
import WebSecurity

/// The HTTP server against clients that hold connections open or never finish a request: the agent on the demo
/// host, in-process, with short timeouts and small caps, reached with raw sockets.
@Suite struct HTTPAbuseTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n"

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        let limits = ConnectionLimits(readHeaderTimeout: .seconds(30), idleTimeout: .seconds(2))
        try await withAgent(uri: Repo.demoURI, connections: limits) { client in
            let connection = try RawConnection(port: try #require(client.port))
            try await connection.send(Self.healthz)
            #expect(try await connection.readResponse(within: .seconds(5)).hasPrefix("HTTP/1.1 200"))
            let start = ContinuousClock.now
            // Well below the 30 s header timeout, which would close it otherwise; the room is for a loaded machine.
            #expect(await connection.closedByServer(within: .seconds(20)))
            // The timer starts a little before the client has read the response: a loose lower bound.
            #expect(ContinuousClock.now - start >= .seconds(1), "closed long before the idle timeout")
        }
    }

    @Test func slowlorisIsClosedAfterTheHeaderTimeout() async throws {
        let limits = ConnectionLimits(readHeaderTimeout: .seconds(2), idleTimeout: .seconds(60))
        try await withAgent(uri: Repo.demoURI, connections: limits) { client in
            let port = try #require(client.port)
            // On a new connection, and on a kept-alive one after a response: the deadline restarts with the
            // first byte of the next request, not with the last byte received.
            let fresh = try RawConnection(port: port)
            let kept = try RawConnection(port: port)
            try await kept.send(Self.healthz)
            #expect(try await kept.readResponse(within: .seconds(5)).hasPrefix("HTTP/1.1 200"))
            for (name, connection) in [("new", fresh), ("kept-alive", kept)] {
                let start = ContinuousClock.now
                var closed = false
                try await connection.send("GET /metrics HTTP/1.1\r\n")
                // A header line every 200 ms: each read would restart an idle timer, none completes the head.
                for line in 0..<150 where !closed {
                    try? await connection.send("X-Trickle-\(line): x\r\n")
                    closed = await connection.closedByServer(within: .milliseconds(200))
                }
                #expect(closed, "\(name): a head trickled for 30 s was still being read")
                // 2 s, with room for a loaded machine (the whole suite on two cores took 11.2 s and 14.8 s once
                // each); without the deadline the trickle above would keep it open for all its 30 s, and only the
                // 60 s idle timeout would end it.
                #expect(ContinuousClock.now - start < .seconds(24), "\(name)")
            }
            // The test client's own idle connection was timed out too: ask on a fresh one.
            let scraper = try RawConnection(port: port)
            try await scraper.send("GET /metrics HTTP/1.1\r\nHost: agent\r\n\r\n")
            let scrape = try Self.body(of: try await scraper.readResponse(within: .seconds(5)))
            #expect((scrape.value("kvm_agent_http_read_header_timeouts_total") ?? 0) >= 2)
        }
    }

    @Test func perClientCapClosesExtraConnectionsButNotAnotherClients() async throws {
        let limits = ConnectionLimits(maxConnections: 100, maxConnectionsPerClient: 3)
        try await withAgent(uri: Repo.demoURI, connections: limits) { client in
            let port = try #require(client.port)
            // The test client's connection (from 127.0.0.1) is open once it has answered.
            _ = try await client.scrape()
            var held = try await Self.admittedConnections(3, port: port, from: "127.0.0.3")
            let extra = try RawConnection(port: port, from: "127.0.0.3")
            #expect(await extra.closedByServer(within: .seconds(5)), "a fourth connection from one address stayed open")
            let scraper = try RawConnection(port: port, from: "127.0.0.2")
            try await scraper.send("GET /metrics HTTP/1.1\r\nHost: agent\r\n\r\n")
            let answer = try await scraper.readResponse(within: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            let scrape = try Self.body(of: answer)
            #expect(scrape.value("kvm_agent_http_connections_rejected_total", ["reason": "client_limit"]) == 1)
            #expect(scrape.value("kvm_agent_http_connections_open") == 5)
            #expect(held.count == 3)
            // Connections the client closes free their places.
            held.removeAll()
            let again = try await Self.admittedConnections(1, port: port, from: "127.0.0.3", within: .seconds(10))
            #expect(again.count == 1)
        }
    }

    @Test func totalCapClosesExtraConnectionsWhileAKeptScraperIsServed() async throws {
        let limits = ConnectionLimits(maxConnections: 6, maxConnectionsPerClient: 2)
        try await withAgent(uri: Repo.demoURI, connections: limits) { client in
            let port = try #require(client.port)
            // The test client's connection is the first of the six once it has answered.
            _ = try await client.scrape()
            let scraper = try await Self.admittedConnections(1, port: port, from: "127.0.0.2")[0]
            var held: [RawConnection] = []
            for source in ["127.0.0.3", "127.0.0.4"] {
                held += try await Self.admittedConnections(2, port: port, from: source)
            }
            let extra = try RawConnection(port: port, from: "127.0.0.5")
            #expect(await extra.closedByServer(within: .seconds(5)), "a seventh connection stayed open over a cap of 6")
            try await scraper.send("GET /metrics HTTP/1.1\r\nHost: agent\r\n\r\n")
            let answer = try await scraper.readResponse(within: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.contains("kvm_agent_http_connections_rejected_total{reason=\"total_limit\"} 1"))
            #expect(held.count == 4)
        }
    }

    @Test func connectionIsClosedAfterAnAnswerThatLeavesTheBodyUnread() async throws {
        let fixture = try RemediationFixture(domains: ["web01"], rules: ActionAPITests.rules)
        defer { fixture.remove() }
        let policy = try fixture.policy()
        try await withAgent(uri: Repo.demoURI, policy: policy) { client in
            let port = try #require(client.port)
            let requests = [
                // 413 from Content-Length alone, with a valid token.
                "POST /api/v1/alertmanager HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer "
                    + RemediationFixture.webhookToken
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"alerts\": [",
                // 401 before the body is read.
                "POST /api/v1/alertmanager HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 5000\r\n\r\n{",
            ]
            for (request, status) in zip(requests, ["413", "401"]) {
                let connection = try RawConnection(port: port)
                try await connection.send(request)
                let answer = try await connection.readResponse(within: .seconds(5))
                #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(answer)")
                #expect(answer.lowercased().contains("\r\nconnection: close\r\n"), "\(answer)")
                // The client is still "sending" its body: the server must not wait for it.
                #expect(await connection.closedByServer(within: .seconds(3)), "left open after a \(status)")
            }
        }
    }

    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let connection = try RawConnection(port: try #require(client.port))
            for path in ["/metrics", "/", "/healthz", "/readyz"] {
                // HEAD, then GET on the same connection: any body bytes after the HEAD answer would come before
                // the GET's status line.
                try await connection.send("HEAD \(path) HTTP/1.1\r\nHost: agent\r\n\r\n" + Self.healthz)
                var answer = try await connection.readResponse(within: .seconds(5), bodyExpected: false)
                let headEnd = try #require(answer.range(of: "\r\n\r\n"))
                let head = answer[..<headEnd.lowerBound].lowercased()
                #expect(
                    head.hasPrefix("http/1.1 200") || path == "/readyz" && head.hasPrefix("http/1.1 503"), "\(head)")
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length: ") }
                    .flatMap { Int($0.dropFirst("content-length: ".count)) }
                #expect((length ?? 0) > 0, "HEAD \(path) must announce GET's length: \(head)")
                while !answer.hasSuffix("ok\n") {
                    answer += try await connection.readResponse(within: .seconds(5))
                }
                #expect(answer[headEnd.upperBound...].hasPrefix("HTTP/1.1 200"), "HEAD \(path) sent a body")
            }
        }
    }

    static func body(of answer: String) throws -> Scrape {
        Scrape(String(answer[try #require(answer.range(of: "\r\n\r\n")).upperBound...]))
    }

    /// Opens `count` connections from `source` and makes a request on each, so that each is known to have been
    /// admitted (connections are admitted on several event loops, not strictly in the order they were made).
    static func admittedConnections(
        _ count: Int, port: Int, from source: String, within deadline: Duration = .seconds(5)
    ) async throws -> [RawConnection] {
        let end = ContinuousClock.now + deadline
        var connections: [RawConnection] = []
        while connections.count < count {
            let connection = try RawConnection(port: port, from: source)
            try? await connection.send(healthz)
            if let answer = try? await connection.readResponse(within: .seconds(5)), answer.hasPrefix("HTTP/1.1 200") {
                connections.append(connection)
            } else if ContinuousClock.now >= end {
                throw RawConnection.Failure.timedOut("\(source) could not open \(count) connections")
            }
        }
        return connections
    }
}
